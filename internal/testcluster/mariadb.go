package testcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
)

// MyServer is one MariaDB server of a test cluster.
type MyServer struct {
	Name string
	Dir  string
	Port int
	id   int
	// extra are further mariadbd arguments.
	extra []string
	cmd   *exec.Cmd
	done  chan struct{}
	t     testing.TB
}

// DSN is a mysql:// DSN of the server's root user.
func (s *MyServer) DSN() string { return fmt.Sprintf("mysql://root@127.0.0.1:%d/", s.Port) }

// MyOption changes how StartMariaDB sets up its servers.
type MyOption func(*myOptions)

type myOptions struct{ args []string }

// RowBinlog logs every change row by row (binlog_format = ROW), as
// change-data capture needs.
func RowBinlog() MyOption {
	return func(o *myOptions) { o.args = append(o.args, "--binlog-format=ROW") }
}

// MyCluster is a MariaDB primary and its replicas.
type MyCluster struct {
	Primary  *MyServer
	Replicas []*MyServer
}

// StartMariaDB starts a primary (binary log on) and n replicas following
// it, each a mariadbd with a data directory of its own, and stops them
// when the test ends. The servers skip grant tables: any user connects
// (they listen on loopback, on ports of their own, for the test only).
func StartMariaDB(t testing.TB, replicas int, opts ...MyOption) *MyCluster {
	t.Helper()
	var o myOptions
	for _, f := range opts {
		f(&o)
	}
	if _, err := exec.LookPath("mariadbd"); err != nil {
		if _, err := os.Stat("/usr/sbin/mariadbd"); err != nil {
			t.Fatal("mariadbd not found (apt-get install mariadb-server)")
		}
	}
	root, err := os.MkdirTemp("", "floe-mycluster-")
	if err != nil {
		t.Fatal(err)
	}
	_ = os.Chmod(root, 0o755)
	c := &MyCluster{}
	t.Cleanup(func() {
		for _, s := range append(c.Replicas, c.Primary) {
			if s != nil {
				s.Kill()
			}
		}
		os.RemoveAll(root)
	})
	mk := func(name string, id int) *MyServer {
		s := &MyServer{Name: name, Dir: filepath.Join(root, name), Port: freePort(t), id: id, t: t, extra: o.args}
		args := []string{"--no-defaults", "--datadir=" + s.Dir, "--skip-test-db", "--auth-root-authentication-method=normal"}
		if os.Geteuid() == 0 {
			args = append(args, "--user=mysql")
		}
		out, err := exec.Command("mariadb-install-db", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("mariadb-install-db: %v\n%s", err, out)
		}
		if os.Geteuid() == 0 {
			chownTree(t, s.Dir, "mysql")
		}
		return s
	}
	c.Primary = mk("primary", 1)
	c.Primary.Start()
	for i := 0; i < replicas; i++ {
		r := mk(fmt.Sprintf("replica%d", i+1), i+2)
		r.Start()
		if err := r.Exec(fmt.Sprintf("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%d, MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=no, MASTER_LOG_FILE='mysql-bin.000001', MASTER_LOG_POS=4", c.Primary.Port)); err != nil {
			t.Fatalf("CHANGE MASTER: %v", err)
		}
		if err := r.Exec("START SLAVE"); err != nil {
			t.Fatalf("START SLAVE: %v", err)
		}
		c.Replicas = append(c.Replicas, r)
	}
	return c
}

func chownTree(t testing.TB, dir, name string) {
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	_ = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err == nil {
			_ = os.Lchown(p, uid, gid)
		}
		return nil
	})
}

// Start starts the server and waits until it accepts connections.
func (s *MyServer) Start() {
	s.t.Helper()
	// A temporary directory of its own: mariadbd deletes every #sql file
	// in its tmpdir when it starts, which in the shared /tmp would be
	// other servers' temporary tables in use.
	tmp := s.Dir + ".tmp"
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		s.t.Fatal(err)
	}
	if os.Geteuid() == 0 {
		chownTree(s.t, tmp, "mysql")
	}
	args := []string{"--no-defaults", "--datadir=" + s.Dir, "--tmpdir=" + tmp, "--port=" + strconv.Itoa(s.Port), "--bind-address=127.0.0.1",
		"--socket=" + filepath.Join(s.Dir, "sock"), "--pid-file=" + filepath.Join(s.Dir, "pid"),
		"--server-id=" + strconv.Itoa(s.id), "--log-bin=mysql-bin", "--skip-grant-tables",
		"--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--skip-log-error", "--log-error=" + s.Dir + ".err"}
	if s.id > 1 {
		args = append(args, "--read-only", "--relay-log=relay-bin")
	}
	args = append(args, s.extra...)
	if os.Geteuid() == 0 {
		args = append(args, "--user=mysql")
	}
	bin := "mariadbd"
	if _, err := exec.LookPath(bin); err != nil {
		bin = "/usr/sbin/mariadbd"
	}
	s.cmd = exec.Command(bin, args...)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.done = make(chan struct{})
	go func(cmd *exec.Cmd, done chan struct{}) { _ = cmd.Wait(); close(done) }(s.cmd, s.done)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if err := s.Exec("SELECT 1"); err == nil {
			return
		}
		select {
		case <-s.done:
			log, _ := os.ReadFile(s.Dir + ".err")
			s.t.Fatalf("mariadbd %s exited\n%s", s.Name, log)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("mariadbd %s did not start", s.Name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Kill stops the server abruptly, as a crash would.
func (s *MyServer) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// Exec runs SQL on the server.
func (s *MyServer) Exec(sql string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.ConnectWithContext(ctx, fmt.Sprintf("127.0.0.1:%d", s.Port), "root", "", "", 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Execute(sql)
	return err
}

// Promote turns a replica into a primary: replication stops and it
// accepts writes (read_only off), which its health checks then see.
func (s *MyServer) Promote() {
	s.t.Helper()
	for _, q := range []string{"STOP SLAVE", "RESET SLAVE ALL", "SET GLOBAL read_only = OFF"} {
		if err := s.Exec(q); err != nil {
			s.t.Fatalf("promote %s: %s: %v", s.Name, q, err)
		}
	}
}

// WaitReplicated waits until every replica has applied the primary's
// binary log up to its current position.
func (c *MyCluster) WaitReplicated(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pc, err := client.ConnectWithContext(ctx, fmt.Sprintf("127.0.0.1:%d", c.Primary.Port), "root", "", "", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	res, err := pc.Execute("SHOW MASTER STATUS")
	if err != nil || res.RowNumber() == 0 {
		t.Fatalf("SHOW MASTER STATUS: %v", err)
	}
	file, _ := res.GetString(0, 0)
	pos, _ := res.GetInt(0, 1)
	for _, r := range c.Replicas {
		rc, err := client.ConnectWithContext(ctx, fmt.Sprintf("127.0.0.1:%d", r.Port), "root", "", "", 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		res, err := rc.Execute(fmt.Sprintf("SELECT MASTER_POS_WAIT('%s', %d, 30)", file, pos))
		rc.Close()
		if err != nil {
			t.Fatalf("MASTER_POS_WAIT on %s: %v", r.Name, err)
		}
		if n, _ := res.GetInt(0, 0); n < 0 {
			t.Fatalf("%s did not catch up with the primary", r.Name)
		}
	}
}
