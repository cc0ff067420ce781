package mysqlwire

import (
	"bytes"
	"net"
	"runtime"
	"sync"
	"testing"
)

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// TestLargeDeclaredPacketsCostWhatArrives: 20 connections each declare a
// full 16 MiB frame and send 4 KiB of it. The gateway holds kilobytes
// per connection, not the 320 MiB declared; when they close, that goes.
func TestLargeDeclaredPacketsCostWhatArrives(t *testing.T) {
	const conns = 20
	base := heapInUse()
	var wg sync.WaitGroup
	clients := make([]net.Conn, conns)
	for i := range clients {
		srv, cli := net.Pipe()
		clients[i] = cli
		pc := NewPacketConn(srv)
		pc.Max = 64 << 20
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = pc.ReadPacket()
		}()
	}
	for _, cli := range clients {
		hdr := []byte{0xff, 0xff, 0xff, 0}
		if _, err := cli.Write(append(hdr, bytes.Repeat([]byte{'x'}, 4096)...)); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Write([]byte{'x'}); err != nil { // after the reader's allocation
			t.Fatal(err)
		}
	}
	if during := heapInUse(); during > base+conns*256<<10 {
		t.Errorf("heap grew by %d KiB for %d connections trickling 16 MiB packets", (during-base)>>10, conns)
	}
	for _, cli := range clients {
		cli.Close()
	}
	wg.Wait()
	if after := heapInUse(); after > base+2<<20 {
		t.Errorf("heap %d KiB over the start after close", (after-base)>>10)
	}
}

// TestPacketsArriveWhole: packets of every size around the buffer's
// steps and the frame limit, written in small pieces, read back intact.
func TestPacketsArriveWhole(t *testing.T) {
	srv, cli := net.Pipe()
	defer srv.Close()
	defer cli.Close()
	sizes := []int{0, 1, 8191, 8192, 8193, 100_000, MaxPayload - 1, MaxPayload, MaxPayload + 5, 2 * MaxPayload}
	go func() {
		w := NewPacketConn(cli)
		for i, n := range sizes {
			w.ResetSeq()
			if err := w.WritePacket(bytes.Repeat([]byte{byte(i + 1)}, n)); err != nil {
				return
			}
			if err := w.Flush(); err != nil {
				return
			}
		}
	}()
	r := NewPacketConn(srv)
	for i, n := range sizes {
		r.ResetSeq()
		p, err := r.ReadPacket()
		if err != nil {
			t.Fatalf("packet %d (%d bytes): %v", i, n, err)
		}
		if !bytes.Equal(p, bytes.Repeat([]byte{byte(i + 1)}, n)) {
			t.Fatalf("packet %d: %d bytes read, want %d", i, len(p), n)
		}
	}
}
