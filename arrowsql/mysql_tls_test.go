package arrowsql

import (
	"context"
	"net"
	"strings"
	"testing"
)

// TestConnectMySQLTLSParam: the URL's tls= is honoured: an unknown value
// is refused before any connection, and tls=true to a server without
// TLS fails rather than falling back to clear text.
func TestConnectMySQLTLSParam(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 8)
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			// A MySQL 8 greeting without CLIENT_SSL (capabilities 0xf7ff).
			p := append([]byte{10}, "8.0.40\x00\x01\x00\x00\x00abcdefgh\x00\xff\xf7\x2d\x02\x00\x08\x00\x15"...)
			p = append(p, make([]byte, 10)...)
			p = append(p, "ijklmnopqrst\x00mysql_native_password\x00"...)
			_, _ = nc.Write(append([]byte{byte(len(p)), 0, 0, 0}, p...))
			buf := make([]byte, 512)
			_, _ = nc.Read(buf)
			nc.Close()
		}
	}()
	for _, tc := range []struct {
		param, want string
		dials       bool
	}{
		{"tls=bogus", `tls="bogus"`, false},
		{"tls=true", "does not support TLS", true},
		{"tls=skip-verify", "does not support TLS", true},
	} {
		t.Run(tc.param, func(t *testing.T) {
			_, err := ConnectMySQL(context.Background(), "mysql://u@"+ln.Addr().String()+"/db?"+tc.param)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
			select {
			case <-accepted:
				if !tc.dials {
					t.Fatal("connected although the URL is refused")
				}
			default:
				if tc.dials {
					t.Fatal("never connected")
				}
			}
		})
	}
}
