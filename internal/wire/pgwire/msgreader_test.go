package pgwire

import (
	"bytes"
	"encoding/binary"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/authn"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC() // the second empties sync.Pool victims (pgproto3's buffers)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// queryHeader is a Query message's header declaring a body of n bytes.
func queryHeader(n int) []byte {
	h := []byte{'Q', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(h[1:], uint32(n+4))
	return h
}

// TestLargeDeclaredMessagesCostWhatArrives: 20 connections each declare a
// 32 MiB message and send 4 KiB of it. The gateway holds kilobytes per
// connection, not the 640 MiB declared; when they close, that goes too.
func TestLargeDeclaredMessagesCostWhatArrives(t *testing.T) {
	const conns, declared = 20, 32 << 20
	base := heapInUse()
	var wg sync.WaitGroup
	clients := make([]net.Conn, conns)
	for i := range clients {
		srv, cli := net.Pipe()
		clients[i] = cli
		c := NewConn(srv, &authn.User{Name: "u"}, "db", 64<<20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Receive() // ends with the client's close
		}()
	}
	for _, cli := range clients {
		if _, err := cli.Write(append(queryHeader(declared), bytes.Repeat([]byte{'x'}, 4096)...)); err != nil {
			t.Fatal(err)
		}
		// A second write returns only once the reader asked for more,
		// after whatever it allocated for the message.
		if _, err := cli.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
	}
	during := heapInUse()
	if during > base+conns*256<<10 {
		t.Errorf("heap grew by %d KiB for %d connections trickling (declared %d MiB each)", (during-base)>>10, conns, declared>>20)
	}
	for _, cli := range clients {
		cli.Close()
	}
	wg.Wait()
	if after := heapInUse(); after > base+2<<20 {
		t.Errorf("heap %d KiB over the start after close", (after-base)>>10)
	}
}

// TestLargeMessagesArriveWholeAndAreReleased: large messages sent in
// small pieces, between small pipelined ones, arrive intact; after them
// an idle connection keeps none of their bytes.
func TestLargeMessagesArriveWholeAndAreReleased(t *testing.T) {
	const conns, size = 8, 4 << 20
	base := heapInUse()
	big := "select '" + strings.Repeat("y", size) + "'"
	var stream []byte
	stream, _ = (&pgproto3.Query{String: "select 1"}).Encode(stream)
	stream, _ = (&pgproto3.Query{String: big}).Encode(stream)
	stream, _ = (&pgproto3.Parse{Name: "s", Query: "select 2"}).Encode(stream)
	stream, _ = (&pgproto3.Sync{}).Encode(stream)
	want := []string{"select 1", big, "select 2", "sync"}

	var wg sync.WaitGroup
	idle := make(chan struct{}, conns)
	errs := make(chan string, conns)
	clients := make([]net.Conn, conns)
	for i := range clients {
		srv, cli := net.Pipe()
		clients[i] = cli
		c := NewConn(srv, &authn.User{Name: "u"}, "db", 64<<20)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, w := range want {
				msg, err := c.Receive()
				if err != nil {
					errs <- err.Error()
					return
				}
				var got string
				switch m := msg.(type) {
				case *pgproto3.Query:
					got = m.String
				case *pgproto3.Parse:
					got = m.Query
				case *pgproto3.Sync:
					got = "sync"
				}
				if got != w {
					errs <- "got a different message: " + got[:min(len(got), 40)]
				}
			}
			idle <- struct{}{}
			_, _ = c.Receive()
		}()
	}
	for _, cli := range clients {
		for off := 0; off < len(stream); off += 1000 {
			if _, err := cli.Write(stream[off:min(off+1000, len(stream))]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for range clients {
		select {
		case e := <-errs:
			t.Fatal(e)
		case <-idle:
		}
	}
	for _, cli := range clients {
		if _, err := cli.Write([]byte{'Q'}); err != nil { // the idle Receive holds its buffers
			t.Fatal(err)
		}
	}
	big = ""
	if during := heapInUse(); during > base+conns*256<<10 {
		t.Errorf("idle connections keep %d KiB after %d MiB messages", (during-base)>>10, conns*size>>20)
	}
	for _, cli := range clients {
		cli.Close()
	}
	wg.Wait()
}
