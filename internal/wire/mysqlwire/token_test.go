package mysqlwire

import (
	"bytes"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
)

// Token logins are refused on a plain connection before the switch to
// mysql_clear_password, whatever plugin the client starts with; the
// verifier is never asked. Configured users keep their password path.
func TestTokenLoginNeedsTLS(t *testing.T) {
	var asked atomic.Int32
	cfg := Config{StartupTimeout: 5 * time.Second, TokenLogin: func(context.Context, string, string) (*authn.User, time.Time, error) {
		asked.Add(1)
		return &authn.User{Name: "ann", Roles: []string{"r"}}, time.Now().Add(time.Hour), nil
	}}
	for _, tc := range []struct {
		name, plugin string
		auth         []byte
	}{
		{"caching_sha2", PluginCachingSHA, make([]byte, 32)},
		{"cleartext first", PluginClearPassword, []byte("eyJ.token.sig\x00")},
		{"native", PluginNative, make([]byte, 20)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc, _ := scriptedWith(t, cfg)
			_ = pc.WritePacket(handshakeResponse(clientCaps, "ann", tc.auth, "db", tc.plugin))
			p := expect(t, pc, []byte{HeaderErr, 0x15, 0x04}) // 1045, no auth switch
			if !bytes.Contains(p, []byte("token login requires TLS")) {
				t.Fatalf("ERR %q", p)
			}
		})
	}
	if n := asked.Load(); n != 0 {
		t.Fatalf("the verifier was asked %d times on plain connections", n)
	}
	t.Run("configured user", func(t *testing.T) {
		pc, nonce := scriptedWith(t, cfg)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", nativeScramble(nonce, "pw"), "db", PluginNative))
		expect(t, pc, []byte{HeaderOK})
	})
}
