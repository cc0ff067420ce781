package e2e

import (
	"bytes"
	"database/sql"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// Stored programs through the MySQL relay, against the real MariaDB with
// provisioned identities: a user holding ddl on the database creates
// procedures, functions and triggers (DECLARE … HANDLER, SIGNAL, IF,
// WHILE, LOOP, nested statements), the mysql CLI's DELIMITER scripts
// work, and CALL runs them. A user without ddl creates nothing; a body
// cannot do what its creator could not do directly (refused at CREATE
// when the gateway reads the body, refused by the server at CALL when it
// does not); a second statement after the body, a foreign DEFINER, and
// unread bodies on a login the database does not restrict are refused.
func TestMySQLStoredPrograms(t *testing.T) {
	dsn, direct := myTestDB(t)
	var schema string
	if err := direct.QueryRow("SELECT DATABASE()").Scan(&schema); err != nil {
		t.Fatal(err)
	}
	mySetup(t, direct,
		"CREATE TABLE t (a INT)",
		"INSERT INTO t VALUES (1)",
		"CREATE TABLE secret (s VARCHAR(40))",
		"INSERT INTO secret VALUES ('the-secret')",
	)
	devLogin, rdLogin := randName("floe_t_"), randName("floe_t_")
	t.Cleanup(func() {
		for _, u := range []string{devLogin, rdLogin} {
			_, _ = direct.Exec(fmt.Sprintf("DROP USER IF EXISTS '%s'@'%%'", u))
		}
		_, _ = direct.Exec("DROP ROLE IF EXISTS `floe_provisioned_" + schema + "`")
	})
	g := start(t, fmt.Sprintf(`databases:
  - name: shop
    kind: mysql
    primary: %s
    provision: true
    pool: {mode: transaction, size: 2}
    identities:
      - {role: dev, user: %s, password: dev-pw}
      - {role: reader, user: %s, password: rd-pw}
      - {role: ops}
users:
  - {name: dev, password: dev-secret, roles: [dev]}
  - {name: rd, password: rd-secret, roles: [reader]}
  - {name: ops, password: ops-secret, roles: [ops]}
roles:
  - name: dev
    grants:
      - {database: shop, actions: [ddl]}
      - {database: shop, tables: [t], actions: [select, insert, update]}
      - {database: shop, functions: ["*"], actions: [execute]}
  - name: reader
    grants:
      - {database: shop, tables: [t], actions: [select, insert]}
      - {database: shop, functions: ["*"], actions: [execute]}
  - name: ops
    grants:
      - {database: shop, actions: [all]}
`, dsn, devLogin, rdLogin))
	routines := func() []string {
		t.Helper()
		names, err := sqlStrings(direct.Query("SELECT routine_name FROM information_schema.routines WHERE routine_schema = ? ORDER BY 1", schema))
		if err != nil {
			t.Fatal(err)
		}
		trig, err := sqlStrings(direct.Query("SELECT trigger_name FROM information_schema.triggers WHERE trigger_schema = ? ORDER BY 1", schema))
		if err != nil {
			t.Fatal(err)
		}
		return append(names, trig...)
	}
	refused := func(db *sql.DB, q string, errno uint16) {
		t.Helper()
		before := routines()
		if _, err := db.Exec(q); myErrno(err) != errno {
			t.Errorf("%q: %v, want error %d", q, err, errno)
		}
		if after := routines(); !slices.Equal(before, after) {
			t.Errorf("%q changed the stored programs: %v -> %v", q, before, after)
		}
	}
	dev := g.mydb(t, "dev", "dev-secret", "shop", map[string]string{"multiStatements": "true"})
	rd := g.mydb(t, "rd", "rd-secret", "shop", map[string]string{"multiStatements": "true"})
	ops := g.mydb(t, "ops", "ops-secret", "shop", nil)

	// No ddl: nothing is created, read by the gateway or not.
	refused(rd, "CREATE PROCEDURE p1() BEGIN SELECT a FROM t; END", 1227)
	refused(rd, "CREATE FUNCTION f1() RETURNS INT DETERMINISTIC BEGIN SIGNAL SQLSTATE '45000'; RETURN 1; END", 1227)
	refused(rd, "CREATE TRIGGER tr1 BEFORE INSERT ON t FOR EACH ROW SET NEW.a = 0", 1227)

	// A body the gateway reads is held to its creator's grants.
	refused(dev, "CREATE PROCEDURE leak() BEGIN SELECT s FROM secret; END", 1142)
	refused(dev, "CREATE PROCEDURE leak() BEGIN DECLARE x INT; IF (SELECT count(*) FROM secret) > 0 THEN SET x = 1; END IF; END", 1142)
	// One it does not read runs as the provisioned login (definer) or
	// the caller (invoker): the server refuses the read at CALL.
	for _, q := range []string{
		"CREATE PROCEDURE leak2() SQL SECURITY DEFINER BEGIN SELECT s FROM secret; END",
		"CREATE PROCEDURE leak3() SQL SECURITY INVOKER BEGIN SELECT s FROM secret; END",
	} {
		if _, err := dev.Exec(q); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
	}
	for _, who := range []*sql.DB{dev, rd} {
		for _, p := range []string{"leak2", "leak3"} {
			got, err := sqlStrings(who.Query("CALL " + p + "()"))
			if len(got) > 0 || (myErrno(err) != 1142 && myErrno(err) != 1370) {
				t.Errorf("CALL %s(): %q %v, want the server's refusal", p, got, err)
			}
		}
	}

	// What a user with ddl may do: procedures, functions and triggers
	// with handlers, SIGNAL and control flow.
	for _, q := range []string{
		"CREATE PROCEDURE addrow(IN v INT) BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN END; IF v > 0 THEN INSERT INTO t VALUES (v); END IF; END",
		`CREATE FUNCTION bump(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE i INT DEFAULT 0;
  DECLARE CONTINUE HANDLER FOR SQLSTATE '22012' SET i = -1;
  IF x < 0 THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'negative'; END IF;
  l: LOOP SET i = i + 1; IF i >= x THEN LEAVE l; END IF; END LOOP;
  WHILE i < x + 1 DO SET i = i + 1; END WHILE;
  RETURN i;
END`,
		"CREATE TRIGGER clamp BEFORE INSERT ON t FOR EACH ROW BEGIN IF NEW.a < 0 THEN SET NEW.a = 0; END IF; END",
	} {
		if _, err := dev.Exec(q); err != nil {
			t.Fatalf("%q: %v", q, err)
		}
	}
	if got := routines(); !slices.Equal(got, []string{"addrow", "bump", "leak2", "leak3", "clamp"}) {
		t.Fatalf("stored programs: %v", got)
	}
	if _, err := dev.Exec("CALL addrow(42)"); err != nil {
		t.Fatalf("CALL addrow: %v", err)
	}
	var n int
	if err := dev.QueryRow("SELECT bump(3)").Scan(&n); err != nil || n != 4 {
		t.Errorf("bump(3): %d %v", n, err)
	}
	if _, err := dev.Exec("SELECT bump(-1)"); myErrno(err) != 1644 || !strings.Contains(err.Error(), "negative") {
		t.Errorf("SIGNAL: %v", err)
	}
	if _, err := dev.Exec("INSERT INTO t VALUES (-5)"); err != nil {
		t.Fatalf("insert through the trigger: %v", err)
	}
	if got, err := sqlStrings(direct.Query("SELECT a FROM t ORDER BY a")); err != nil || !slices.Equal(got, []string{"0", "1", "42"}) {
		t.Errorf("rows after CALL and the trigger: %v %v", got, err)
	}

	// Refused forms, even for a user with every grant: a second
	// statement after the body, another definer, and bodies the gateway
	// does not read on a login the database does not restrict.
	refused(dev, "CREATE FUNCTION f2() RETURNS INT DETERMINISTIC RETURN 1; DROP TABLE secret", 1227)
	refused(dev, "CREATE FUNCTION f3() RETURNS INT DETERMINISTIC BEGIN RETURN 1; END; DROP TABLE secret", 1227)
	refused(dev, "CREATE DEFINER = `root`@`localhost` FUNCTION f4() RETURNS INT DETERMINISTIC RETURN 1", 1227)
	refused(ops, "CREATE FUNCTION f5() RETURNS INT DETERMINISTIC RETURN 1", 1227)
	var tables int
	if err := direct.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = 'secret'", schema).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("table secret after the attempts: %d %v", tables, err)
	}
	// DROP PROCEDURE is read by the gateway: DDL like any other.
	refused(rd, "DROP PROCEDURE addrow", 1227)
	if _, err := ops.Exec("DROP PROCEDURE addrow"); err != nil {
		t.Errorf("DROP PROCEDURE by a role with all: %v", err)
	}
	if got := routines(); slices.Contains(got, "addrow") {
		t.Errorf("addrow still there: %v", got)
	}

	// The mysql CLI sends what lies between DELIMITER changes as one
	// statement.
	if _, err := exec.LookPath("mysql"); err != nil {
		t.Fatal("the mysql client is missing: run scripts/services.sh")
	}
	host, port, _ := net.SplitHostPort(g.my)
	script := `DELIMITER //
CREATE FUNCTION twice(x INT) RETURNS INT DETERMINISTIC
BEGIN
  DECLARE r INT;
  SET r = x * 2;
  RETURN r;
END //
CREATE PROCEDURE fill(IN k INT)
BEGIN
  DECLARE i INT DEFAULT 0;
  WHILE i < k DO
    INSERT INTO t VALUES (100 + i);
    SET i = i + 1;
  END WHILE;
END //
DELIMITER ;
CALL fill(3);
SELECT twice(21) AS answer;
`
	cmd := exec.Command("mysql", "--no-defaults", "-h", host, "-P", port, "-u", "dev", "-pdev-secret", "--batch", "shop")
	cmd.Stdin = strings.NewReader(script)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil || !strings.Contains(stdout.String(), "answer\n42\n") {
		t.Fatalf("mysql CLI: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	if err := direct.QueryRow("SELECT count(*) FROM t WHERE a >= 100").Scan(&n); err != nil || n != 3 {
		t.Errorf("rows from CALL fill(3): %d %v", n, err)
	}
}
