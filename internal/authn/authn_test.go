package authn

import (
	"strings"
	"testing"
	"time"

	"github.com/xdg-go/scram"
)

func TestVerifierRoundTrip(t *testing.T) {
	v, err := NewVerifier("correct horse", DefaultIterations)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") {
		t.Fatalf("verifier %q", v)
	}
	c, err := ParseVerifier(v)
	if err != nil {
		t.Fatal(err)
	}
	if FormatVerifier(c) != v {
		t.Fatalf("round trip changed the verifier")
	}
	for _, bad := range []string{"", "md5abc", "SCRAM-SHA-256$x:AAAA$AA:AA", "SCRAM-SHA-256$4096:!!$AA:AA", "SCRAM-SHA-256$4096:AAAA$AAAA:AAAA"} {
		if _, err := ParseVerifier(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// Full exchanges with a real SCRAM client: right and wrong passwords,
// verifier-configured and password-configured users, unknown users.
func TestSCRAMExchange(t *testing.T) {
	v, _ := NewVerifier("right", 4096)
	store, err := NewStore([]Spec{{Name: "alice", Verifier: v}, {Name: "bob", Password: "bobpw"}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		user, pw string
		ok       bool
	}{
		{"alice", "right", true}, {"alice", "wrong", false}, {"bob", "bobpw", true}, {"bob", "right", false},
		{"nobody", "right", false}, {"nobody", "", false},
	}
	for _, tc := range cases {
		if got := exchange(t, store, tc.user, tc.pw); got != tc.ok {
			t.Errorf("%s/%q: ok=%v, want %v", tc.user, tc.pw, got, tc.ok)
		}
	}
	u, _ := store.Lookup("alice")
	if u.HasMD5() {
		t.Error("a verifier-only user must not offer md5")
	}
}

func exchange(t *testing.T, store *Store, user, pw string) bool {
	t.Helper()
	client, err := scram.SHA256.NewClient("", pw, "")
	if err != nil {
		t.Fatal(err)
	}
	conv := client.NewConversation()
	srv, err := store.NewSCRAM(user)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := conv.Step("")
	s1, err := srv.Step(first)
	if err != nil {
		return false
	}
	final, err := conv.Step(s1)
	if err != nil {
		return false
	}
	if _, err := srv.Step(final); err != nil {
		return false
	}
	return srv.Valid()
}

func TestMD5(t *testing.T) {
	// PostgreSQL: md5 || md5(password || user).
	if got := MD5Hash("postgres", "postgres"); got != "md53175bce1d3201d16594cebf9d7eb3f9d" {
		t.Fatalf("MD5Hash = %s", got)
	}
	salt := [4]byte{1, 2, 3, 4}
	stored := MD5Hash("u", "p")
	// The client sends md5(md5(password||user) || salt).
	resp := md5Response(stored, salt)
	if !CheckMD5(stored, salt, resp) || CheckMD5(stored, [4]byte{}, resp) || CheckMD5(stored, salt, "md5deadbeef") {
		t.Fatal("CheckMD5")
	}
}

func md5Response(stored string, salt [4]byte) string {
	inner := strings.TrimPrefix(stored, "md5")
	return MD5Hash(string(salt[:]), inner) // md5(inner || salt)
}

func FuzzSCRAMServer(f *testing.F) {
	store, _ := NewStore([]Spec{{Name: "u", Password: "p"}})
	f.Add("n,,n=,r=abcdef", "c=biws,r=abcdef,p=AAAA")
	f.Add("y,,n=u,r=x", "")
	f.Add("p=tls-server-end-point,,n=,r=1", "c=cD10bHMtc2VydmVyLWVuZC1wb2ludCws,r=1,p=")
	f.Add("", "garbage")
	f.Fuzz(func(t *testing.T, first, final string) {
		srv, err := store.NewSCRAM("u")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Step(first); err != nil {
			return
		}
		_, _ = srv.Step(final)
		if srv.Valid() {
			t.Fatalf("arbitrary input authenticated: %q %q", first, final)
		}
	})
}

func TestCheckPassword(t *testing.T) {
	v, err := NewVerifier("s3cret", 4096)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewStore([]Spec{{Name: "alice", Password: "pw"}, {Name: "bob", Verifier: v}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		user, pw string
		ok       bool
	}{
		{"alice", "pw", true}, {"alice", "pw", true}, {"alice", "PW", false}, {"alice", "", false},
		{"bob", "s3cret", true}, {"bob", "pw", false}, {"carol", "pw", false}, {"carol", "", false},
	} {
		u, ok := s.CheckPassword(tc.user, tc.pw)
		if ok != tc.ok || ok && u.Name != tc.user {
			t.Errorf("%s/%q: ok=%v, want %v", tc.user, tc.pw, ok, tc.ok)
		}
	}
}

func TestTokens(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	tk, err := NewTokens(func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	verifiers := map[string]string{}
	store := func(password string) *Store {
		st, err := NewStore([]Spec{{Name: "alice", Password: password}, {Name: "bob", Verifier: verifiers[password]}})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	for _, pw := range []string{"first", "second"} {
		v, err := NewVerifier(pw, 4096)
		if err != nil {
			t.Fatal(err)
		}
		verifiers[pw] = v
	}
	users := store("first")
	tagOf := func(n string) ([]byte, bool) {
		u, ok := users.Lookup(n)
		if !ok {
			return nil, false
		}
		return u.CredentialTag(), true
	}
	alice, _ := users.Lookup("alice")
	tok, exp := tk.Issue("alice", alice.CredentialTag(), time.Hour)
	if !exp.Equal(now.Add(time.Hour)) {
		t.Fatalf("expiry %v", exp)
	}
	if u, err := tk.Verify(tok, tagOf); err != nil || u != "alice" {
		t.Fatalf("verify: %q %v", u, err)
	}
	other, _ := NewTokens(func() time.Time { return now })
	forged, _ := other.Issue("alice", alice.CredentialTag(), time.Hour)
	body, _, _ := strings.Cut(strings.TrimPrefix(tok, "floe."), ".")
	_, sig, _ := strings.Cut(strings.TrimPrefix(forged, "floe."), ".")
	for _, bad := range []string{"", "floe.", "floe.x.y", forged, tok + "x", "floe." + body + "." + sig, strings.Replace(tok, "floe.", "flo.", 1)} {
		if _, err := tk.Verify(bad, tagOf); err == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
	// The same user with the same password again (a reload) keeps it;
	// a new password, or no such user, ends it before its expiry.
	bob, _ := users.Lookup("bob")
	bobTok, _ := tk.Issue("bob", bob.CredentialTag(), time.Hour)
	users = store("first")
	for _, tk2 := range []string{tok, bobTok} {
		if _, err := tk.Verify(tk2, tagOf); err != nil {
			t.Errorf("token refused after a reload that kept the password: %v", err)
		}
	}
	users = store("second")
	for _, tk2 := range []string{tok, bobTok} {
		if _, err := tk.Verify(tk2, tagOf); err == nil {
			t.Error("token accepted after the password changed")
		}
	}
	users, _ = NewStore(nil)
	if _, err := tk.Verify(tok, tagOf); err == nil {
		t.Error("token accepted after the user went")
	}
	users = store("first")
	now = now.Add(time.Hour)
	if _, err := tk.Verify(tok, tagOf); err == nil {
		t.Error("expired token accepted")
	}
}

func TestLookupFold(t *testing.T) {
	s, err := NewStore([]Spec{{Name: "alice", Password: "pw"}, {Name: "kate", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
	}{
		{"alice", "alice"},
		{"ALICE", "alice"},
		{"Alice", "alice"},
		{"\u212Aate", "kate"}, // KELVIN SIGN folds to k
		{"alice ", ""},
		{"alice\x00", ""},
		{"bob", ""},
		{"", ""},
	} {
		got := ""
		if u, ok := s.LookupFold(tc.name); ok {
			got = u.Name
		}
		if got != tc.want {
			t.Errorf("LookupFold(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
