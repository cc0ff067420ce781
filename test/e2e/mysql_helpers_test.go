package e2e

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// myAdminConfig is the go-sql-driver configuration of the test MariaDB.
func myAdminConfig(t testing.TB) *mysql.Config {
	dsn := os.Getenv("FLOE_TEST_MYSQL")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/test"
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("FLOE_TEST_MYSQL: %v", err)
	}
	return cfg
}

// myTestDB creates a fresh MariaDB database; it returns the Floe DSN of
// it and a direct connection to it.
func myTestDB(t testing.TB) (string, *sql.DB) {
	t.Helper()
	cfg := myAdminConfig(t)
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "floe_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create database on MariaDB (%s): %v — run scripts/services.sh", cfg.Addr, err)
	}
	t.Cleanup(func() {
		c, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = c.Exec("DROP DATABASE IF EXISTS " + name)
	})
	direct := *cfg
	direct.DBName = name
	db, err := sql.Open("mysql", direct.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := url.URL{Scheme: "mysql", Host: cfg.Addr, Path: "/" + name}
	if cfg.Passwd != "" {
		u.User = url.UserPassword(cfg.User, cfg.Passwd)
	} else {
		u.User = url.User(cfg.User)
	}
	return u.String(), db
}

// myRelayConfig is a config for one MySQL database "shop" and users alice
// (password) and carol (SCRAM verifier only).
func myRelayConfig(dsn, mode string, size int) string {
	return fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: %s
    pool: {mode: %s, size: %d, acquire_timeout: 3s}
users:
  - name: alice
    password: alice-secret
  - name: bob
    password: bob-secret
`, dsn, mode, size)
}

// mydb opens go-sql-driver connections to the gateway.
func (g *gateway) mydb(t testing.TB, user, password, db string, params map[string]string) *sql.DB {
	t.Helper()
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, password, "tcp", g.my, db
	cfg.Timeout = 10 * time.Second
	cfg.Params = map[string]string{}
	for k, v := range params {
		switch k {
		case "interpolateParams":
			cfg.InterpolateParams = v == "true"
		case "multiStatements":
			cfg.MultiStatements = v == "true"
		case "tls":
			cfg.TLSConfig = v
		case "maxAllowedPacket":
			fmt.Sscan(v, &cfg.MaxAllowedPacket)
		case "parseTime":
			cfg.ParseTime = v == "true"
		case "allowAllFiles":
			cfg.AllowAllFiles = v == "true"
		case "clientFoundRows":
			cfg.ClientFoundRows = v == "true"
		default:
			cfg.Params[k] = v
		}
	}
	pool, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return pool
}

// myErrno returns the MySQL error number of err (0 if none).
func myErrno(err error) uint16 {
	if me, ok := err.(*mysql.MySQLError); ok {
		return me.Number
	}
	return 0
}
