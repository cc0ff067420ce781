package app

import (
	"context"
	"errors"
	"runtime"
	"slices"
	"sync"
	"testing"

	"github.com/floe-db/floe/arrowsql"
	"github.com/floe-db/floe/internal/backend/cluster"
	"github.com/floe-db/floe/internal/config"
	"github.com/floe-db/floe/internal/dataapi"
	"github.com/floe-db/floe/internal/policy"
)

// fakeLease is a cluster.Dynamic whose credentials the test sets.
type fakeLease struct {
	mu             sync.Mutex
	user, password string
	expired        bool
	subs           []func() func() bool
}

func (f *fakeLease) Creds() (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.expired || f.user == "" {
		return "", "", errors.New("expired")
	}
	return f.user, f.password, nil
}

func (f *fakeLease) OnRotate(d func() func() bool) func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.subs = append(f.subs, d)
	return func() {}
}

// rotate changes the credentials (or expires them) and calls the
// subscribers, as the lease's goroutine does; it returns their checks.
func (f *fakeLease) rotate(user, password string, expired bool) []func() bool {
	f.mu.Lock()
	f.user, f.password, f.expired = user, password, expired
	subs := f.subs
	f.mu.Unlock()
	var checks []func() bool
	for _, d := range subs {
		checks = append(checks, d())
	}
	return checks
}

// fakeSource records the login it was made for and the statements it
// ran; conns counts its connections out.
type fakeSource struct {
	login  dataapi.Login
	ran    []string
	conns  int
	closed bool
	// block, when set, holds Query until closed (a statement acquiring).
	block chan struct{}
	mu    *sync.Mutex
}

func (s *fakeSource) Kind() string            { return config.KindPostgres }
func (s *fakeSource) Dialect() policy.Dialect { return policy.Postgres }
func (s *fakeSource) DefaultSchema() string   { return "public" }
func (s *fakeSource) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}
func (s *fakeSource) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
}
func (s *fakeSource) Query(_ context.Context, q string, _ []any, _ arrowsql.Options) (*arrowsql.Reader, error) {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("query on a closed source")
	}
	s.ran = append(s.ran, q)
	s.conns = 1 // the connection is out, with the reader
	return nil, nil
}

// leasedFixture is a leasedSource on a fake lease for role analyst.
type leasedFixture struct {
	lease *fakeLease
	src   *leasedSource
	mu    sync.Mutex
	made  []*fakeSource
	block chan struct{} // given to the next source made
}

func newLeasedFixture(t *testing.T, lease *fakeLease) *leasedFixture {
	t.Helper()
	db := config.Database{Name: "app", Kind: config.KindPostgres,
		Identities: []config.Identity{{Role: "analyst", Vault: &config.DynamicCreds{Role: "ro"}}}}
	logins := cluster.NewLogins(db, func(string, config.DynamicCreds) cluster.Dynamic { return lease })
	f := &leasedFixture{lease: lease}
	src, err := newLeasedSource(logins, 1, func(l dataapi.Login) (dataapi.Source, error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		s := &fakeSource{login: l, mu: &f.mu, block: f.block}
		f.block = nil
		f.made = append(f.made, s)
		return s, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	logins.Watch(func(int) func() bool { return src.Drain() })
	f.src = src
	return f
}

// ranAs lists the logins of the sources that ran statements.
func (f *leasedFixture) ranAs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, s := range f.made {
		for range s.ran {
			out = append(out, s.login.User)
		}
	}
	return out
}

func TestLeasedSource(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		run  func(t *testing.T, f *leasedFixture)
		// want is the logins statements ran as, in order.
		want []string
	}{
		{name: "runs as the lease's login", want: []string{"v-1", "v-1"}, run: func(t *testing.T, f *leasedFixture) {
			for range 2 {
				if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{name: "a rotation moves statements to the new login and drains the old", want: []string{"v-1", "v-2"}, run: func(t *testing.T, f *leasedFixture) {
			if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
				t.Fatal(err)
			}
			checks := f.lease.rotate("v-2", "p-2", false)
			old := f.made[0]
			if !old.closed {
				t.Error("the old login's source is still open after the rotation")
			}
			if checks[0]() {
				t.Error("drained while a connection of the old login is still out")
			}
			f.mu.Lock()
			old.conns = 0 // the reader gave it back; the closed pool closed it
			f.mu.Unlock()
			if !checks[0]() {
				t.Error("not drained once the old login's connections are closed")
			}
			if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "credentials changed before the rotation is signalled", want: []string{"v-1", "v-2"}, run: func(t *testing.T, f *leasedFixture) {
			if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
				t.Fatal(err)
			}
			f.lease.mu.Lock()
			f.lease.user, f.lease.password = "v-2", "p-2"
			f.lease.mu.Unlock()
			if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
				t.Fatal(err)
			}
			if !f.made[0].closed {
				t.Error("the old login's source is still open")
			}
		}},
		{name: "an expired lease runs nothing", want: []string{"v-1"}, run: func(t *testing.T, f *leasedFixture) {
			if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
				t.Fatal(err)
			}
			f.lease.rotate("v-1", "p-1", true)
			if !f.made[0].closed {
				t.Error("the expired login's source is still open")
			}
			_, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{})
			var de *dataapi.Error
			if !errors.As(err, &de) || de.Status != 503 || de.Code != dataapi.CodeUnavailable {
				t.Fatalf("after expiry: %v", err)
			}
		}},
		{name: "a statement acquiring during a rotation finishes on its source", want: []string{"v-1", "v-2"}, run: func(t *testing.T, f *leasedFixture) {
			// The first source blocks its statement until released.
			f.mu.Lock()
			first := f.made[0]
			first.block = make(chan struct{})
			f.mu.Unlock()
			errc := make(chan error, 1)
			go func() {
				_, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{})
				errc <- err
			}()
			// Wait until the statement counts on the first source.
			for {
				f.src.mu.Lock()
				n := f.src.mu.cur.inflight
				f.src.mu.Unlock()
				if n == 1 {
					break
				}
				runtime.Gosched()
			}
			checks := f.lease.rotate("v-2", "p-2", false)
			if first.closed || checks[0]() {
				t.Error("the source closed under a statement acquiring from it")
			}
			close(first.block)
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if !first.closed {
				t.Error("the retired source did not close once its statement was done")
			}
			if _, err := f.src.Query(ctx, "SELECT 1", nil, arrowsql.Options{}); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newLeasedFixture(t, &fakeLease{user: "v-1", password: "p-1"})
			tc.run(t, f)
			f.src.Close()
			if got := f.ranAs(); !slices.Equal(got, tc.want) {
				t.Errorf("statements ran as %v, want %v", got, tc.want)
			}
			for _, s := range f.made {
				if s.login.User == "" {
					t.Error("a source was made with the DSN's own login")
				}
				if !s.closed {
					t.Errorf("source of %q left open after Close", s.login.User)
				}
			}
		})
	}
}

// With no lease in hand the source runs nothing, and never falls back
// to the DSN's own login.
func TestLeasedSourceWithoutLease(t *testing.T) {
	f := newLeasedFixture(t, &fakeLease{})
	_, err := f.src.Query(context.Background(), "SELECT 1", nil, arrowsql.Options{})
	var de *dataapi.Error
	if !errors.As(err, &de) || de.Status != 503 {
		t.Fatalf("without a lease: %v", err)
	}
	f.src.Close()
	if got := f.ranAs(); len(got) != 0 {
		t.Errorf("statements ran as %v", got)
	}
	for _, s := range f.made {
		if s.login.User == "" || s.login.Password != "" {
			t.Errorf("a source made without a lease logs in as %+v", s.login)
		}
		if !s.closed {
			t.Error("source left open after Close")
		}
	}
}
