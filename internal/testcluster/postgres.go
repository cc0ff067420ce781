package testcluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PGBin is the directory of the PostgreSQL server binaries.
func PGBin() string {
	if v := os.Getenv("FLOE_TEST_PGBIN"); v != "" {
		return v
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return ""
	}
	return filepath.Dir(matches[len(matches)-1])
}

// PGServer is one PostgreSQL server of a test cluster.
type PGServer struct {
	Name string
	Dir  string
	Port int
	t    testing.TB
}

// DSN is a superuser DSN of the server.
func (s *PGServer) DSN() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", s.Port)
}

// PGCluster is a primary and its streaming replicas.
type PGCluster struct {
	Primary  *PGServer
	Replicas []*PGServer
	root     string
}

// freePort asks the kernel for a free TCP port on loopback.
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// run runs a PostgreSQL binary, as the postgres user when this process
// is root.
func run(t testing.TB, name string, args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(PGBin(), name)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
	} else {
		cmd = exec.Command(bin, args...)
	}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// PGOption changes how StartPG sets up its servers.
type PGOption func(*pgOptions)

type pgOptions struct{ walLevel string }

// Logical starts the primary with wal_level = logical, for logical
// replication slots (change-data capture).
func Logical() PGOption { return func(o *pgOptions) { o.walLevel = "logical" } }

// StartPG starts a primary with n streaming replicas and stops them all
// when the test ends.
func StartPG(t testing.TB, replicas int, opts ...PGOption) *PGCluster {
	t.Helper()
	o := pgOptions{walLevel: "replica"}
	for _, f := range opts {
		f(&o)
	}
	if PGBin() == "" {
		t.Fatal("PostgreSQL server binaries not found (apt-get install postgresql; or set FLOE_TEST_PGBIN)")
	}
	root, err := os.MkdirTemp("", "floe-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("the postgres system user is needed to run test servers as root: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(root, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	c := &PGCluster{root: root}
	t.Cleanup(func() {
		for _, s := range append(c.Replicas, c.Primary) {
			if s != nil {
				s.Stop("immediate")
			}
		}
		os.RemoveAll(root)
	})
	p := &PGServer{Name: "primary", Dir: filepath.Join(root, "primary"), Port: freePort(t), t: t}
	if out, err := run(t, "initdb", "-D", p.Dir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nwal_level = %s\nmax_wal_senders = 8\nmax_replication_slots = 8\nhot_standby = on\nfsync = off\nfull_page_writes = off\nshared_buffers = 16MB\nmax_connections = 60\nwal_receiver_status_interval = 1s\nhot_standby_feedback = on\n", root, o.walLevel)
	appendFile(t, filepath.Join(p.Dir, "postgresql.conf"), conf+fmt.Sprintf("port = %d\n", p.Port))
	appendFile(t, filepath.Join(p.Dir, "pg_hba.conf"), "\nhost replication all 127.0.0.1/32 trust\n")
	c.Primary = p
	p.Start()
	for i := 0; i < replicas; i++ {
		r := &PGServer{Name: fmt.Sprintf("replica%d", i+1), Dir: filepath.Join(root, fmt.Sprintf("replica%d", i+1)), Port: freePort(t), t: t}
		if out, err := run(t, "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-D", r.Dir, "-R", "-X", "stream", "--no-sync"); err != nil {
			t.Fatalf("pg_basebackup: %v\n%s", err, out)
		}
		appendFile(t, filepath.Join(r.Dir, "postgresql.conf"), fmt.Sprintf("\nport = %d\n", r.Port))
		c.Replicas = append(c.Replicas, r)
		r.Start()
	}
	return c
}

func appendFile(t testing.TB, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// Start starts the server and waits until it accepts connections.
func (s *PGServer) Start() {
	s.t.Helper()
	if out, err := run(s.t, "pg_ctl", "-D", s.Dir, "-l", s.Dir+".log", "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(s.Dir + ".log")
		s.t.Fatalf("start %s: %v\n%s\n%s", s.Name, err, out, log)
	}
}

// Stop stops the server: mode is smart, fast or immediate (a crash).
func (s *PGServer) Stop(mode string) {
	_, _ = run(s.t, "pg_ctl", "-D", s.Dir, "-m", mode, "-w", "-t", "60", "stop")
}

// Kill stops the server abruptly, as a crash would.
func (s *PGServer) Kill() { s.Stop("immediate") }

// Promote turns a replica into a primary and waits until it accepts
// writes.
func (s *PGServer) Promote() {
	s.t.Helper()
	if out, err := run(s.t, "pg_ctl", "-D", s.Dir, "-w", "-t", "60", "promote"); err != nil {
		s.t.Fatalf("promote %s: %v\n%s", s.Name, err, out)
	}
}

// Exec runs SQL on the server.
func (s *PGServer) Exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN())
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	_, err = c.Exec(ctx, sql)
	return err
}

// WaitReplayed waits until every replica has replayed the primary's
// current WAL position.
func (c *PGCluster) WaitReplayed(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := pgx.Connect(ctx, c.Primary.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close(ctx)
	var lsn string
	if err := pc.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Replicas {
		rc, err := pgx.Connect(ctx, r.DSN())
		if err != nil {
			t.Fatal(err)
		}
		for {
			var done bool
			if err := rc.QueryRow(ctx, "SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn", lsn).Scan(&done); err != nil {
				t.Fatal(err)
			}
			if done {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s did not replay %s", r.Name, lsn)
			}
			time.Sleep(20 * time.Millisecond)
		}
		rc.Close(ctx)
	}
}
