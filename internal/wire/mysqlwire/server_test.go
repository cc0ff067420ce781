package mysqlwire

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/floe-db/floe/internal/authn"
	"github.com/floe-db/floe/internal/observe"
)

type fakeGateway struct{ users *authn.Store }

func (g fakeGateway) Users() *authn.Store { return g.users }
func (g fakeGateway) AdmitMySQL(*authn.User, string, net.Addr) (func(), *Error) {
	return func() {}, nil
}
func (g fakeGateway) MySQLHandler(db string) (Handler, bool) {
	return okHandler{}, db == "db"
}

// okHandler answers every command with OK until COM_QUIT.
type okHandler struct{}

func (okHandler) Serve(_ context.Context, c *Conn) error {
	for {
		p, err := c.ReadCommandIdle()
		if err != nil {
			return err
		}
		if p[0] == ComQuit {
			return nil
		}
		if err := c.WriteOK(OK{Status: StatusAutocommit}); err != nil {
			return err
		}
		if err := c.Flush(); err != nil {
			return err
		}
	}
}

func nativeScramble(nonce []byte, pw string) []byte {
	s1 := sha1.Sum([]byte(pw))
	s2 := sha1.Sum(s1[:])
	h := sha1.New()
	h.Write(nonce)
	h.Write(s2[:])
	x := h.Sum(nil)
	for i := range x {
		x[i] ^= s1[i]
	}
	return x
}

func sha2Scramble(nonce []byte, pw string) []byte {
	m1 := sha256.Sum256([]byte(pw))
	m2 := sha256.Sum256(m1[:])
	h := sha256.New()
	h.Write(m2[:])
	h.Write(nonce)
	x := h.Sum(nil)
	for i := range x {
		x[i] ^= m1[i]
	}
	return x
}

func handshakeResponse(caps uint32, user string, auth []byte, db, plugin string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, caps)
	b = binary.LittleEndian.AppendUint32(b, 1<<24)
	b = append(b, 45)
	b = append(b, make([]byte, 23)...)
	b = append(append(b, user...), 0)
	b = AppendLenBytes(b, auth)
	b = append(append(b, db...), 0)
	return append(append(b, plugin...), 0)
}

// scripted starts a server connection and returns the client side as a
// PacketConn plus the nonce from the greeting.
func scripted(t *testing.T) (*PacketConn, []byte) {
	t.Helper()
	return scriptedWith(t, Config{StartupTimeout: 5 * time.Second})
}

// scriptedWith is scripted with a configuration of the test's own.
func scriptedWith(t *testing.T, cfg Config) (*PacketConn, []byte) {
	t.Helper()
	users, err := authn.NewStore([]authn.Spec{{Name: "u", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(cfg, fakeGateway{users}, slog.New(slog.DiscardHandler), observe.NewMetrics())
	client, server := net.Pipe()
	done := make(chan struct{})
	go func() { defer close(done); s.serveConn(context.Background(), server) }()
	t.Cleanup(func() {
		client.Close()
		<-done
	})
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	pc := NewPacketConn(client)
	g, err := pc.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(g)
	r.Byte()
	r.NulString()
	r.Uint32()
	nonce := append([]byte{}, r.Bytes(8)...)
	r.Byte()
	r.Bytes(2 + 1 + 2 + 2 + 1 + 10)
	nonce = append(nonce, r.Bytes(12)...)
	if r.Err() != nil {
		t.Fatal(r.Err())
	}
	return pc, nonce
}

const clientCaps = CapProtocol41 | CapSecureConnection | CapPluginAuth | CapPluginAuthLenenc | CapConnectWithDB | CapDeprecateEOF

func expect(t *testing.T, pc *PacketConn, want []byte) []byte {
	t.Helper()
	if err := pc.Flush(); err != nil {
		t.Fatal(err)
	}
	p, err := pc.ReadPacket()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(p, want) {
		t.Fatalf("got %q, want prefix %q", p, want)
	}
	return p
}

func TestAuthPaths(t *testing.T) {
	errDenied := []byte{HeaderErr, 0x15, 0x04, '#', '2', '8', '0', '0', '0'} // 1045
	t.Run("native", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", nativeScramble(nonce, "pw"), "db", PluginNative))
		expect(t, pc, []byte{HeaderOK})
		pc.ResetSeq()
		_ = pc.WritePacket([]byte{ComPing})
		expect(t, pc, []byte{HeaderOK})
	})
	t.Run("native wrong", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", nativeScramble(nonce, "nope"), "db", PluginNative))
		expect(t, pc, errDenied)
	})
	t.Run("sha2 fast path", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", sha2Scramble(nonce, "pw"), "db", PluginCachingSHA))
		expect(t, pc, []byte{0x01, 0x03})
		if p, err := pc.ReadPacket(); err != nil || p[0] != HeaderOK {
			t.Fatalf("after fast auth: %q %v", p, err)
		}
	})
	t.Run("sha2 wrong asks for full auth, cleartext refused without TLS", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", sha2Scramble(nonce, "nope"), "db", PluginCachingSHA))
		expect(t, pc, []byte{0x01, 0x04})
		_ = pc.WritePacket([]byte("pw\x00"))
		expect(t, pc, errDenied)
	})
	t.Run("switch from an unknown plugin", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", []byte("pw"), "db", "mysql_clear_password"))
		sw := expect(t, pc, append([]byte{HeaderEOF}, PluginCachingSHA...))
		if !bytes.Contains(sw, nonce) {
			t.Fatal("auth switch does not carry the nonce")
		}
		_ = pc.WritePacket(sha2Scramble(nonce, "pw"))
		expect(t, pc, []byte{0x01, 0x03})
	})
	t.Run("unknown user", func(t *testing.T) {
		// Treated like a user without a native hash: switched to
		// caching_sha2_password, where full authentication fails.
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "x", nativeScramble(nonce, "pw"), "db", PluginNative))
		expect(t, pc, append([]byte{HeaderEOF}, PluginCachingSHA...))
		_ = pc.WritePacket(sha2Scramble(nonce, "pw"))
		expect(t, pc, []byte{0x01, 0x04})
		_ = pc.WritePacket([]byte{sha2RequestKey})
		expect(t, pc, []byte("\x01-----BEGIN PUBLIC KEY"))
		_ = pc.WritePacket(make([]byte, 256))
		expect(t, pc, errDenied)
	})
	t.Run("unknown database after auth", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", nativeScramble(nonce, "pw"), "other", PluginNative))
		expect(t, pc, []byte{HeaderErr, 0x19, 0x04}) // 1049
	})
	t.Run("old protocol", func(t *testing.T) {
		pc, _ := scripted(t)
		_ = pc.WritePacket(handshakeResponse(CapSecureConnection, "u", nil, "db", ""))
		expect(t, pc, []byte{HeaderErr, 0x13, 0x04}) // 1043
	})
	t.Run("bad sequence after auth", func(t *testing.T) {
		pc, nonce := scripted(t)
		_ = pc.WritePacket(handshakeResponse(clientCaps, "u", nativeScramble(nonce, "pw"), "db", PluginNative))
		expect(t, pc, []byte{HeaderOK})
		pc.SetSeq(3)
		_ = pc.WritePacket([]byte{ComPing})
		_ = pc.Flush()
		p, err := pc.ReadPacket()
		if err != nil || !bytes.HasPrefix(p, []byte{HeaderErr, 0x84, 0x04}) { // 1156
			t.Fatalf("got %q %v", p, err)
		}
		if _, err := pc.ReadPacket(); err != io.EOF && err != io.ErrClosedPipe {
			t.Fatalf("connection not closed: %v", err)
		}
	})
}

func TestPacketSplitting(t *testing.T) {
	var buf bytes.Buffer
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	w := NewPacketConn(a)
	r := NewPacketConn(b)
	big := bytes.Repeat([]byte{7}, MaxPayload+10)
	go func() {
		_ = w.WritePacket(big)
		_ = w.WritePacket(bytes.Repeat([]byte{8}, MaxPayload)) // exact multiple: empty last frame
		_ = w.Flush()
	}()
	p, err := r.ReadPacket()
	if err != nil || !bytes.Equal(p, big) {
		t.Fatalf("split packet: %d bytes, %v", len(p), err)
	}
	p, err = r.ReadPacket()
	if err != nil || len(p) != MaxPayload {
		t.Fatalf("exact multiple: %d bytes, %v", len(p), err)
	}
	if r.Seq() != 4 {
		t.Fatalf("sequence after two split packets: %d", r.Seq())
	}
	_ = buf
}

func TestParseKillAndUse(t *testing.T) {
	for q, want := range map[string]Kill{"KILL 5": {ID: 5}, "kill query 7;": {ID: 7, QueryOnly: true}, "KILL HARD CONNECTION 9": {ID: 9}} {
		k, ok, err := ParseKill(q)
		if !ok || err != nil || k != want {
			t.Errorf("%q: %+v %v %v", q, k, ok, err)
		}
	}
	for _, q := range []string{"KILL QUERY ID 5", "KILL USER bob", "kill"} {
		if _, ok, err := ParseKill(q); !ok || err == nil {
			t.Errorf("%q must be refused", q)
		}
	}
	if _, ok, _ := ParseKill("SELECT 1"); ok {
		t.Error("SELECT parsed as KILL")
	}
	for q, want := range map[string]string{"USE shop": "shop", "use `we``ird`;": "we`ird", " USE\tx ": "x"} {
		if db, ok := ParseUse(q); !ok || db != want {
			t.Errorf("%q: %q %v", q, db, ok)
		}
	}
	for _, q := range []string{"user", "USE a b", "USED x", "use"} {
		if _, ok := ParseUse(q); ok {
			t.Errorf("%q parsed as USE", q)
		}
	}
}
