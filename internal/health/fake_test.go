package health

import (
	"context"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/floe-db/floe/internal/route"
	"github.com/floe-db/floe/internal/sqlerr"
	"github.com/floe-db/floe/internal/wire/mysqlwire"
)

// fakeMySQL is a scripted MySQL server of a given version: it answers
// the probe's statements as a server of that make and version would
// (SHOW SLAVE STATUS gone from MySQL 8.4, SHOW REPLICA STATUS missing
// before MySQL 8.0.22 and MariaDB 10.5.1), as a replica lagging lag
// seconds, or as a primary when lag is negative.
type fakeMySQL struct {
	version        string
	replica, slave bool   // which statements the server knows
	lagCol         string // the lag column's name
	lag            int
	mu             sync.Mutex
	queries        []string
}

func (f *fakeMySQL) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.queries)
}

// answer writes the response to the text q: a result set of text
// values (nil: an OK packet) or an ERR packet.
func (f *fakeMySQL) answer(pc *mysqlwire.PacketConn, q string) error {
	f.mu.Lock()
	f.queries = append(f.queries, q)
	f.mu.Unlock()
	var names []string
	var rows [][]string
	status := func(known bool) *mysqlwire.Error {
		if !known {
			return mysqlwire.Errorf(sqlerr.ErParse, "You have an error in your SQL syntax")
		}
		names = []string{"Replica_IO_Running", f.lagCol}
		if f.lag >= 0 {
			rows = [][]string{{"Yes", strconv.Itoa(f.lag)}}
		}
		return nil
	}
	var fail *mysqlwire.Error
	switch q {
	case "SET time_zone = '+00:00'":
	case "SELECT @@global.read_only, VERSION()":
		ro := "0"
		if f.lag >= 0 {
			ro = "1"
		}
		names, rows = []string{"@@global.read_only", "VERSION()"}, [][]string{{ro, f.version}}
	case "SHOW REPLICA STATUS":
		fail = status(f.replica)
	case "SHOW SLAVE STATUS":
		fail = status(f.slave)
	default:
		fail = mysqlwire.Errorf(sqlerr.ErParse, "unexpected statement")
	}
	send := func(p []byte) error { return pc.WritePacket(p) }
	switch {
	case fail != nil:
		if err := send(mysqlwire.AppendErr(nil, fail)); err != nil {
			return err
		}
	case names == nil:
		if err := send(mysqlwire.AppendOK(nil, mysqlwire.HeaderOK, mysqlwire.OK{Status: mysqlwire.StatusAutocommit})); err != nil {
			return err
		}
	default:
		if err := send(mysqlwire.AppendLenInt(nil, uint64(len(names)))); err != nil {
			return err
		}
		for _, n := range names {
			col := mysqlwire.Column{Name: n, OrgName: n, Charset: mysqlwire.CharsetUTF8MB4, Length: 64, Type: 0xfd}
			if err := send(mysqlwire.AppendColumn(nil, col)); err != nil {
				return err
			}
		}
		if err := send(mysqlwire.AppendEOF(nil, 0, mysqlwire.StatusAutocommit)); err != nil {
			return err
		}
		for _, r := range rows {
			vals := make([][]byte, len(r))
			for i, v := range r {
				vals[i] = []byte(v)
			}
			if err := send(mysqlwire.AppendTextRow(nil, vals)); err != nil {
				return err
			}
		}
		if err := send(mysqlwire.AppendEOF(nil, 0, mysqlwire.StatusAutocommit)); err != nil {
			return err
		}
	}
	return pc.Flush()
}

// serve runs f on a local port until the test ends, greeting clients
// with handshakeVersion; it returns the DSN. Any password is accepted.
func (f *fakeMySQL) serve(t *testing.T, handshakeVersion string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				pc := mysqlwire.NewPacketConn(nc)
				caps := mysqlwire.CapLongPassword | mysqlwire.CapLongFlag | mysqlwire.CapProtocol41 | mysqlwire.CapTransactions |
					mysqlwire.CapSecureConnection | mysqlwire.CapPluginAuth | mysqlwire.CapMultiResults
				hs := mysqlwire.Handshake{Version: handshakeVersion, ConnectionID: 1, Nonce: []byte("0123456789abcdefghij"),
					Capabilities: caps, Charset: 45, Status: mysqlwire.StatusAutocommit, Plugin: mysqlwire.PluginNative}
				if pc.WritePacket(mysqlwire.AppendHandshake(nil, hs)) != nil || pc.Flush() != nil {
					return
				}
				if _, err := pc.ReadPacket(); err != nil {
					return
				}
				if pc.WritePacket(mysqlwire.AppendOK(nil, mysqlwire.HeaderOK, mysqlwire.OK{Status: mysqlwire.StatusAutocommit})) != nil || pc.Flush() != nil {
					return
				}
				for {
					pc.ResetSeq()
					p, err := pc.ReadPacket()
					if err != nil || len(p) == 0 || p[0] == mysqlwire.ComQuit {
						return
					}
					if p[0] != mysqlwire.ComQuery || f.answer(pc, string(p[1:])) != nil {
						return
					}
				}
			}()
		}
	}()
	return "mysql://probe:probe-pw@" + ln.Addr().String() + "/"
}

// The replication-status statement and lag column follow the server's
// make and version.
func TestMySQLVersions(t *testing.T) {
	for _, c := range []struct {
		name, version, handshake string
		replica, slave           bool
		lagCol, want             string
	}{
		{"mysql 8.4", "8.4.3", "8.4.3", true, false, "Seconds_Behind_Source", showReplica},
		{"mysql 8.0.22", "8.0.22-log", "8.0.22-log", true, true, "Seconds_Behind_Source", showReplica},
		{"mysql 8.0.21", "8.0.21", "8.0.21", false, true, "Seconds_Behind_Master", showSlave},
		{"mysql 5.7", "5.7.44-log", "5.7.44-log", false, true, "Seconds_Behind_Master", showSlave},
		{"mariadb 10.11", "10.11.6-MariaDB-0+deb12u1", "5.5.5-10.11.6-MariaDB-0+deb12u1", true, true, "Seconds_Behind_Master", showReplica},
		{"mariadb 10.4", "10.4.32-MariaDB", "5.5.5-10.4.32-MariaDB", false, true, "Seconds_Behind_Master", showSlave},
		// A version string that says nothing useful: the probe finds the
		// spelling the server reads.
		{"unknown fork", "9.9.9-fork", "9.9.9-fork", false, true, "Seconds_Behind_Master", showSlave},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, lag := range []int{7, -1} {
				f := &fakeMySQL{version: c.version, replica: c.replica, slave: c.slave, lagCol: c.lagCol, lag: lag}
				p := NewMySQL(f.serve(t, c.handshake))
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				pr, err := p.Probe(ctx)
				if err == nil {
					pr, err = p.Probe(ctx) // the second check keeps the choice
				}
				cancel()
				p.Close()
				if err != nil {
					t.Fatalf("probe of %s: %v (statements %q)", c.version, err, f.seen())
				}
				want := Probe{Role: route.RoleReplica, Lag: time.Duration(lag) * time.Second}
				if lag < 0 {
					want = Probe{Role: route.RolePrimary}
				}
				if pr != want {
					t.Fatalf("probe of %s with lag %d: %+v, want %+v", c.version, lag, pr, want)
				}
				if q := f.seen(); q[len(q)-1] != c.want {
					t.Fatalf("%s: last statement %q, want %q (all %q)", c.version, q[len(q)-1], c.want, q)
				}
			}
		})
	}
	if got := replicaStatusFor("8.0.21"); got != showSlave {
		t.Fatalf("8.0.21: %s", got)
	}
}

// fakePG is a scripted server of the PostgreSQL protocol: version()
// answers with version, and the recovery/WAL functions are missing
// (42883) or unsupported (0A000) when missing is set.
func fakePG(t *testing.T, version, missing string) (dsn string, queries func() []string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	var seen []string
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer nc.Close()
				be := pgproto3.NewBackend(nc, nc)
				for {
					msg, err := be.ReceiveStartupMessage()
					if err != nil {
						return
					}
					if _, ok := msg.(*pgproto3.SSLRequest); ok {
						_, _ = nc.Write([]byte{'N'})
						continue
					}
					break
				}
				be.Send(&pgproto3.AuthenticationOk{})
				be.Send(&pgproto3.ParameterStatus{Name: "server_version", Value: "13.0.0"})
				be.Send(&pgproto3.ParameterStatus{Name: "client_encoding", Value: "UTF8"})
				be.Send(&pgproto3.ParameterStatus{Name: "standard_conforming_strings", Value: "on"})
				be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
				_ = be.Flush()
				one := func(name string, oid uint32, v string) {
					be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{{Name: []byte(name), DataTypeOID: oid, DataTypeSize: -1, TypeModifier: -1}}})
					be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte(v)}})
					be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
				}
				for {
					msg, err := be.Receive()
					if err != nil {
						return
					}
					q, ok := msg.(*pgproto3.Query)
					if !ok {
						return
					}
					mu.Lock()
					seen = append(seen, q.String)
					mu.Unlock()
					switch {
					case q.String == "SELECT version()":
						one("version", 25, version)
					case q.String == "SELECT 1":
						one("?column?", 23, "1")
					case missing != "":
						be.Send(&pgproto3.ErrorResponse{Severity: "ERROR", Code: missing, Message: "unknown function: pg_is_in_recovery()"})
					default:
						be.Send(&pgproto3.RowDescription{Fields: []pgproto3.FieldDescription{
							{Name: []byte("r"), DataTypeOID: 16, DataTypeSize: 1, TypeModifier: -1},
							{Name: []byte("lag"), DataTypeOID: 701, DataTypeSize: 8, TypeModifier: -1},
							{Name: []byte("lsn"), DataTypeOID: 20, DataTypeSize: 8, TypeModifier: -1}}})
						be.Send(&pgproto3.DataRow{Values: [][]byte{[]byte("f"), []byte("0"), []byte("4096")}})
						be.Send(&pgproto3.CommandComplete{CommandTag: []byte("SELECT 1")})
					}
					be.Send(&pgproto3.ReadyForQuery{TxStatus: 'I'})
					if err := be.Flush(); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "postgres://probe@" + ln.Addr().String() + "/db?sslmode=disable", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// PostgreSQL-compatible servers without recovery and WAL functions are
// recognised by their version, or by the error when the version does not
// say, and checked with a round trip instead of being marked down.
func TestPostgresCompatibleServers(t *testing.T) {
	for _, c := range []struct {
		name, version, missing string
		walProbes              int // probe queries with the WAL functions sent
		wantLSN                uint64
	}{
		{"cockroachdb", "CockroachDB CCL v24.1.0 (x86_64-pc-linux-gnu, built 2024/05/15 21:28:29, go1.22.2)", "42883", 0, 0},
		{"yugabytedb", "PostgreSQL 11.2-YB-2.20.1.0-b0 on x86_64-pc-linux-gnu, compiled by clang version 16.0.6", "0A000", 0, 0},
		{"unknown make", "PostgreSQL 13.0 (SomethingCompatible 1.0)", "42883", 1, 0},
		{"postgresql", "PostgreSQL 15.8 on x86_64-pc-linux-gnu", "", 3, 4096},
	} {
		t.Run(c.name, func(t *testing.T) {
			dsn, seen := fakePG(t, c.version, c.missing)
			p, err := NewPostgres(dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			for i := range 3 {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				pr, err := p.Probe(ctx)
				cancel()
				if err != nil {
					t.Fatalf("check %d: %v (queries %q)", i+1, err, seen())
				}
				if pr != (Probe{Role: route.RolePrimary, LSN: c.wantLSN}) {
					t.Fatalf("check %d: %+v", i+1, pr)
				}
			}
			n := 0
			for _, q := range seen() {
				if q == pgProbeQuery {
					n++
				}
			}
			if n != c.walProbes {
				t.Fatalf("%d probes with the WAL functions, want %d (queries %q)", n, c.walProbes, seen())
			}
		})
	}
}
