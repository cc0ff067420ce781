// JDBC client of Floe's compatibility suite: PgJDBC over the PostgreSQL
// protocol, MariaDB Connector/J over the MySQL protocol. Runs a fixed
// sequence of steps and prints one line per step: "ok <step>" or
// "fail <step>: <error>". Arguments: postgresql|mariadb. The connection
// comes from the environment: FLOE_HOST, FLOE_PORT, FLOE_USER,
// FLOE_PASSWORD, FLOE_DB; COMPAT_TABLE names the table it creates.
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Properties;

public class Compat {
    interface Step { void run() throws Exception; }

    static final class Failed extends Exception {
        Failed(String m) { super(m); }
    }

    static Connection conn;
    static String table;
    static boolean pg;

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }

    static void expect(Object got, Object want, String what) throws Failed {
        if (!Objects.equals(got, want)) throw new Failed(what + ": got " + got + ", want " + want);
    }

    static String oneLine(Throwable e) {
        String m = e.getClass().getSimpleName() + ": " + e.getMessage();
        if (e instanceof SQLException && ((SQLException) e).getSQLState() != null) {
            m = "[" + ((SQLException) e).getSQLState() + "] " + m;
        }
        m = m.replaceAll("\\s+", " ").trim();
        return m.length() > 400 ? m.substring(0, 400) : m;
    }

    static boolean step(String name, Step s) {
        try {
            s.run();
            System.out.println("ok " + name);
            return true;
        } catch (Throwable e) {
            System.out.println("fail " + name + ": " + oneLine(e));
            try {
                if (conn != null && !conn.isClosed() && !conn.getAutoCommit()) {
                    conn.rollback();
                    conn.setAutoCommit(true);
                }
            } catch (Throwable ignored) {
                // the failure is reported above
            }
            return false;
        } finally {
            System.out.flush();
        }
    }

    static void exec(String sql) throws SQLException {
        try (Statement st = conn.createStatement()) {
            st.execute(sql);
        }
    }

    static Object scalar(String sql, Object... params) throws SQLException {
        try (PreparedStatement ps = prepare(sql, params); ResultSet rs = ps.executeQuery()) {
            return rs.next() ? rs.getObject(1) : "no row";
        }
    }

    static List<Integer> ids(String sql, Object... params) throws SQLException {
        List<Integer> out = new ArrayList<>();
        try (PreparedStatement ps = prepare(sql, params); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.add(rs.getInt(1));
        }
        return out;
    }

    static PreparedStatement prepare(String sql, Object... params) throws SQLException {
        PreparedStatement ps = conn.prepareStatement(sql);
        for (int i = 0; i < params.length; i++) {
            Object p = params[i];
            if (p == null) ps.setNull(i + 1, Types.VARCHAR);
            else if (p instanceof Integer) ps.setInt(i + 1, (Integer) p);
            else if (p instanceof String) ps.setString(i + 1, (String) p);
            else if (p instanceof Boolean) ps.setBoolean(i + 1, (Boolean) p);
            else if (p instanceof BigDecimal) ps.setBigDecimal(i + 1, (BigDecimal) p);
            else if (p instanceof Timestamp) ps.setTimestamp(i + 1, (Timestamp) p);
            else throw new IllegalArgumentException("parameter type " + p.getClass());
        }
        return ps;
    }

    static int count(ResultSet rs) throws SQLException {
        int n = 0;
        while (rs.next()) n++;
        return n;
    }

    public static void main(String[] args) throws Exception {
        pg = args.length > 0 && args[0].equals("postgresql");
        table = env("COMPAT_TABLE", "compat_jdbc");
        String db = env("FLOE_DB", "");
        String url = "jdbc:" + (pg ? "postgresql" : "mariadb") + "://" + env("FLOE_HOST", "127.0.0.1") + ":" + env("FLOE_PORT", "0") + "/" + db;
        Properties props = new Properties();
        props.setProperty("user", env("FLOE_USER", ""));
        props.setProperty("password", env("FLOE_PASSWORD", ""));
        if (pg) {
            props.setProperty("sslmode", "disable");
            props.setProperty("connectTimeout", "10");
        } else {
            props.setProperty("connectTimeout", "10000");
        }
        String schema = pg ? "public" : null;
        String catalog = null; // the current database, as most tools ask
        Timestamp[] created = {
            Timestamp.valueOf("2024-01-02 03:04:05"), Timestamp.valueOf("2024-02-03 04:05:06"), Timestamp.valueOf("2024-03-04 05:06:07"),
        };

        java.sql.Driver driver = DriverManager.getDriver(url);
        System.out.println("driver " + (pg ? "PgJDBC " : "MariaDB Connector/J ") + driver.getMajorVersion() + "." + driver.getMinorVersion());
        if (!step("connect", () -> { conn = DriverManager.getConnection(url, props); })) return;
        step("version", () -> {
            DatabaseMetaData md = conn.getMetaData();
            if (md.getDatabaseProductVersion() == null || md.getDatabaseMajorVersion() <= 0) {
                throw new Failed("product version " + md.getDatabaseProductVersion());
            }
            Object v = scalar(pg ? "SELECT version()" : "SELECT VERSION()");
            if (!(v instanceof String) || ((String) v).isEmpty()) throw new Failed("version() " + v);
        });
        if (!step("create_table", () -> {
            exec("DROP TABLE IF EXISTS " + table);
            exec("CREATE TABLE " + table + " (id integer PRIMARY KEY, name varchar(40) NOT NULL, active boolean, price "
                + (pg ? "numeric(10,2), created timestamp" : "decimal(10,2), created datetime") + ", note text)");
            exec("CREATE INDEX " + table + "_name ON " + table + " (name)");
            expect(((Number) scalar("SELECT count(*) FROM " + table)).intValue(), 0, "rows in new table");
        })) return;
        step("insert_params", () -> {
            try (PreparedStatement ps = conn.prepareStatement("INSERT INTO " + table + " (id, name, active, price, created, note) VALUES (?, ?, ?, ?, ?, ?)")) {
                Object[][] rows = {
                    {1, "alpha", true, new BigDecimal("12.50"), created[0], null},
                    {2, "beta", false, new BigDecimal("7.25"), created[1], "second"},
                    {3, "gamma", true, new BigDecimal("100.01"), created[2], "third"},
                };
                for (Object[] r : rows) {
                    ps.setInt(1, (Integer) r[0]);
                    ps.setString(2, (String) r[1]);
                    ps.setBoolean(3, (Boolean) r[2]);
                    ps.setBigDecimal(4, (BigDecimal) r[3]);
                    ps.setTimestamp(5, (Timestamp) r[4]);
                    if (r[5] == null) ps.setNull(6, Types.VARCHAR); else ps.setString(6, (String) r[5]);
                    ps.addBatch();
                }
                int[] n = ps.executeBatch();
                expect(n.length, 3, "batch results");
            }
            expect(((Number) scalar("SELECT count(*) FROM " + table)).intValue(), 3, "rows");
        });
        step("select_int", () -> expect(scalar("SELECT name FROM " + table + " WHERE id = ?", 2), "beta", "name of id 2"));
        step("select_text", () -> expect(ids("SELECT id FROM " + table + " WHERE name = ?", "gamma"), List.of(3), "ids"));
        step("select_bool", () -> expect(ids("SELECT id FROM " + table + " WHERE active = ? ORDER BY id", true), List.of(1, 3), "ids"));
        step("select_numeric", () -> {
            expect(ids("SELECT id FROM " + table + " WHERE price > ? ORDER BY id", new BigDecimal("10.00")), List.of(1, 3), "ids");
            try (PreparedStatement ps = prepare("SELECT price FROM " + table + " WHERE id = ?", 3); ResultSet rs = ps.executeQuery()) {
                rs.next();
                expect(rs.getBigDecimal(1), new BigDecimal("100.01"), "price");
            }
        });
        step("select_timestamp", () -> {
            expect(ids("SELECT id FROM " + table + " WHERE created >= ? ORDER BY id", Timestamp.valueOf("2024-02-01 00:00:00")), List.of(2, 3), "ids");
            try (PreparedStatement ps = prepare("SELECT created FROM " + table + " WHERE id = ?", 1); ResultSet rs = ps.executeQuery()) {
                rs.next();
                expect(rs.getTimestamp(1), created[0], "created");
            }
        });
        step("select_null", () -> {
            expect(scalar("SELECT note FROM " + table + " WHERE id = ?", 1), null, "note of id 1");
            try (PreparedStatement ps = prepare("UPDATE " + table + " SET note = ? WHERE id = ?", null, 3)) {
                expect(ps.executeUpdate(), 1, "rows updated");
            }
            expect(ids("SELECT id FROM " + table + " WHERE note IS NULL ORDER BY id"), List.of(1, 3), "ids after update");
        });
        step("result_types", () -> {
            try (Statement st = conn.createStatement(); ResultSet rs = st.executeQuery("SELECT id, name, active, price, created, note FROM " + table + " WHERE id = 2")) {
                ResultSetMetaData md = rs.getMetaData();
                List<Integer> types = new ArrayList<>();
                for (int i = 1; i <= md.getColumnCount(); i++) types.add(md.getColumnType(i));
                List<Integer> want = pg
                    ? List.of(Types.INTEGER, Types.VARCHAR, Types.BIT, Types.NUMERIC, Types.TIMESTAMP, Types.VARCHAR)
                    : List.of(Types.INTEGER, Types.VARCHAR, Types.BIT, Types.DECIMAL, Types.TIMESTAMP, Types.VARCHAR);
                expect(types, want, "column types");
                rs.next();
                List<Object> got = Arrays.asList(rs.getInt(1), rs.getString(2), rs.getBoolean(3), rs.getBigDecimal(4), rs.getTimestamp(5), rs.getString(6));
                expect(got, Arrays.asList(2, "beta", false, new BigDecimal("7.25"), created[1], "second"), "values");
            }
        });
        step("tx_commit", () -> {
            conn.setAutoCommit(false);
            try (PreparedStatement ps = prepare("INSERT INTO " + table + " (id, name) VALUES (?, ?)", 10, "committed")) {
                ps.executeUpdate();
            }
            conn.commit();
            conn.setAutoCommit(true);
            expect(ids("SELECT id FROM " + table + " WHERE id = ?", 10), List.of(10), "committed row");
        });
        step("tx_rollback", () -> {
            conn.setAutoCommit(false);
            try (PreparedStatement ps = prepare("INSERT INTO " + table + " (id, name) VALUES (?, ?)", 11, "rolled back")) {
                ps.executeUpdate();
            }
            exec("UPDATE " + table + " SET name = 'changed' WHERE id = 1");
            conn.rollback();
            conn.setAutoCommit(true);
            expect(ids("SELECT id FROM " + table + " WHERE id = ?", 11), List.of(), "rolled back row");
            expect(scalar("SELECT name FROM " + table + " WHERE id = 1"), "alpha", "name after rollback");
        });
        step("missing_table", () -> {
            try {
                exec("SELECT * FROM " + table + "_missing");
                throw new Failed("no error");
            } catch (SQLException e) {
                if (pg) expect(e.getSQLState(), "42P01", "SQLSTATE");
                else expect(e.getErrorCode(), 1146, "errno");
            }
            expect(((Number) scalar("SELECT 1")).intValue(), 1, "SELECT 1 after the error");
        });
        step("meta_tables", () -> {
            List<String> names = new ArrayList<>();
            try (ResultSet rs = conn.getMetaData().getTables(catalog, schema, table, new String[] {"TABLE"})) {
                while (rs.next()) names.add(rs.getString("TABLE_NAME") + "/" + rs.getString("TABLE_TYPE"));
            }
            expect(names, List.of(table + "/TABLE"), "tables");
            try (ResultSet rs = conn.getMetaData().getTables(catalog, schema, "%", new String[] {"TABLE"})) {
                int n = count(rs);
                if (n < 1) throw new Failed("getTables(%) found no table");
            }
        });
        step("meta_columns", () -> {
            List<String> cols = new ArrayList<>();
            try (ResultSet rs = conn.getMetaData().getColumns(catalog, schema, table, "%")) {
                while (rs.next()) {
                    cols.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("DATA_TYPE") + ":" + rs.getString("IS_NULLABLE"));
                }
            }
            List<String> want = List.of(
                "id:" + Types.INTEGER + ":NO",
                "name:" + Types.VARCHAR + ":NO",
                "active:" + Types.BIT + ":YES",
                "price:" + (pg ? Types.NUMERIC : Types.DECIMAL) + ":YES",
                "created:" + Types.TIMESTAMP + ":YES",
                "note:" + (pg ? Types.VARCHAR : Types.LONGVARCHAR) + ":YES");
            expect(cols, want, "columns (name:type:nullable)");
        });
        step("meta_primary_keys", () -> {
            List<String> pk = new ArrayList<>();
            try (ResultSet rs = conn.getMetaData().getPrimaryKeys(catalog, schema, table)) {
                while (rs.next()) pk.add(rs.getString("COLUMN_NAME") + ":" + rs.getInt("KEY_SEQ"));
            }
            expect(pk, List.of("id:1"), "primary key columns");
        });
        step("meta_index_info", () -> {
            List<String> idx = new ArrayList<>();
            try (ResultSet rs = conn.getMetaData().getIndexInfo(catalog, schema, table, false, false)) {
                while (rs.next()) {
                    if (rs.getShort("TYPE") == DatabaseMetaData.tableIndexStatistic) continue;
                    String name = rs.getString("INDEX_NAME");
                    if (rs.getBoolean("NON_UNIQUE")) idx.add(name + ":" + rs.getString("COLUMN_NAME"));
                    else idx.add("unique:" + rs.getString("COLUMN_NAME"));
                }
            }
            idx.sort(null);
            expect(idx, List.of(table + "_name:name", "unique:id"), "indexes");
        });
        conn.close();
    }
}
