"""PyMySQL against Floe's MySQL protocol (see compat.py)."""
import datetime
import decimal

import pymysql

from compat import DB, HOST, PASSWORD, PORT, ROWS, TABLE, USER, Failed, Runner, expect, num

conn = None


def reset():
    """After a failed step: end the failed transaction, back to autocommit."""
    if conn is not None and conn.open:
        conn.rollback()
        conn.autocommit(True)


r = Runner(on_error=reset)


def connect():
    global conn
    conn = pymysql.connect(host=HOST, port=PORT, user=USER, password=PASSWORD, database=DB,
                           connect_timeout=10, autocommit=True)


def q(sql, params=None):
    cur = conn.cursor()
    cur.execute(sql, params)
    return cur


def version():
    if not conn.get_server_info():
        raise Failed("empty server version")
    v = q("SELECT VERSION()").fetchone()[0]
    if not isinstance(v, str) or not v:
        raise Failed("VERSION() %r" % (v,))


def create_table():
    q("DROP TABLE IF EXISTS %s" % TABLE)
    q("CREATE TABLE %s (id int PRIMARY KEY, name varchar(40) NOT NULL, active boolean, "
      "price decimal(10,2), created datetime, note text)" % TABLE)
    q("CREATE INDEX %s_name ON %s (name)" % (TABLE, TABLE))
    expect(q("SELECT count(*) FROM %s" % TABLE).fetchone()[0], 0, "rows in new table")


def insert_params():
    cur = conn.cursor()
    cur.executemany("INSERT INTO %s (id, name, active, price, created, note) VALUES (%%s, %%s, %%s, %%s, %%s, %%s)" % TABLE, ROWS)
    expect(q("SELECT count(*) FROM %s" % TABLE).fetchone()[0], 3, "rows")


def ids(sql, params):
    return [row[0] for row in q(sql, params).fetchall()]


def select_int():
    expect(list(q("SELECT name FROM %s WHERE id = %%s" % TABLE, (2,)).fetchall()), [("beta",)], "name of id 2")


def select_text():
    expect(ids("SELECT id FROM %s WHERE name = %%s" % TABLE, ("gamma",)), [3], "ids")


def select_bool():
    expect(ids("SELECT id FROM %s WHERE active = %%s ORDER BY id" % TABLE, (True,)), [1, 3], "ids")


def select_numeric():
    expect(ids("SELECT id FROM %s WHERE price > %%s ORDER BY id" % TABLE, (decimal.Decimal("10.00"),)), [1, 3], "ids")
    expect(num(q("SELECT price FROM %s WHERE id = 3" % TABLE).fetchone()[0]), decimal.Decimal("100.01"), "price")


def select_timestamp():
    expect(ids("SELECT id FROM %s WHERE created >= %%s ORDER BY id" % TABLE, (datetime.datetime(2024, 2, 1),)), [2, 3], "ids")
    expect(q("SELECT created FROM %s WHERE id = 1" % TABLE).fetchone()[0], datetime.datetime(2024, 1, 2, 3, 4, 5), "created")


def select_null():
    expect(q("SELECT note FROM %s WHERE id = 1" % TABLE).fetchone()[0], None, "note of id 1")
    expect(ids("SELECT id FROM %s WHERE note IS NULL OR note = %%s ORDER BY id" % TABLE, (None,)), [1], "ids")
    q("UPDATE %s SET note = %%s WHERE id = %%s" % TABLE, (None, 3))
    expect(ids("SELECT id FROM %s WHERE note IS NULL ORDER BY id" % TABLE, None), [1, 3], "ids after update")


def result_types():
    cur = q("SELECT id, name, active, price, created, note FROM %s WHERE id = 2" % TABLE)
    f = pymysql.constants.FIELD_TYPE
    # INT, VARCHAR, TINYINT (boolean), NEWDECIMAL, DATETIME, BLOB (text)
    expect([d[1] for d in cur.description], [f.LONG, f.VAR_STRING, f.TINY, f.NEWDECIMAL, f.DATETIME, f.BLOB], "description type codes")
    row = cur.fetchone()
    expect([type(v).__name__ for v in row], ["int", "str", "int", "Decimal", "datetime", "str"], "value types")


def tx_commit():
    conn.autocommit(False)
    conn.begin()
    q("INSERT INTO %s (id, name) VALUES (%%s, %%s)" % TABLE, (10, "committed"))
    conn.commit()
    conn.autocommit(True)
    expect(ids("SELECT id FROM %s WHERE id = %%s" % TABLE, (10,)), [10], "committed row")


def tx_rollback():
    conn.autocommit(False)
    conn.begin()
    q("INSERT INTO %s (id, name) VALUES (%%s, %%s)" % TABLE, (11, "rolled back"))
    q("UPDATE %s SET name = 'changed' WHERE id = 1" % TABLE)
    conn.rollback()
    conn.autocommit(True)
    expect(ids("SELECT id FROM %s WHERE id = %%s" % TABLE, (11,)), [], "rolled back row")
    expect(q("SELECT name FROM %s WHERE id = 1" % TABLE).fetchone()[0], "alpha", "name after rollback")


print("driver PyMySQL %s" % pymysql.__version__, flush=True)
def missing_table():
    try:
        q("SELECT * FROM %s_missing" % TABLE)
    except pymysql.Error as e:
        expect(e.args[0], 1146, "errno")
    else:
        raise Failed("no error")
    expect(q("SELECT 1").fetchone()[0], 1, "SELECT 1 after the error")


r.step("connect", connect, fatal=True)
r.step("version", version)
r.step("create_table", create_table, fatal=True)
r.step("insert_params", insert_params)
r.step("select_int", select_int)
r.step("select_text", select_text)
r.step("select_bool", select_bool)
r.step("select_numeric", select_numeric)
r.step("select_timestamp", select_timestamp)
r.step("select_null", select_null)
r.step("result_types", result_types)
r.step("tx_commit", tx_commit)
r.step("tx_rollback", tx_rollback)
r.step("missing_table", missing_table)
conn.close()
