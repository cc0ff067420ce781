"""SQLAlchemy Core and ORM against Floe (see compat.py). The first argument
names the dialect: postgresql (psycopg2) or mysql (PyMySQL)."""
import datetime
import decimal
import sys

import sqlalchemy as sa
from sqlalchemy import orm

from compat import DB, HOST, PASSWORD, PORT, ROWS, TABLE, USER, Failed, Runner, expect, num

DIALECT = sys.argv[1] if len(sys.argv) > 1 else "postgresql"
DRIVER = {"postgresql": "postgresql+psycopg2", "mysql": "mysql+pymysql"}[DIALECT]
url = sa.engine.URL.create(DRIVER, username=USER, password=PASSWORD, host=HOST, port=PORT, database=DB)
args = {"connect_timeout": 10}
if DIALECT == "postgresql":
    args["sslmode"] = "disable"
engine = sa.create_engine(url, connect_args=args, future=True)

meta = sa.MetaData()
table = sa.Table(
    TABLE, meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.String(40), nullable=False, index=True),
    sa.Column("active", sa.Boolean(create_constraint=False)),
    sa.Column("price", sa.Numeric(10, 2)),
    sa.Column("created", sa.DateTime),
    sa.Column("note", sa.Text),
)
INDEX = "ix_%s_name" % TABLE

Base = orm.declarative_base()


class Item(Base):
    __tablename__ = TABLE + "_orm"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    label = sa.Column(sa.String(40), nullable=False)
    amount = sa.Column(sa.Numeric(10, 2))
    seen = sa.Column(sa.DateTime)


conn = None


def reset():
    """After a failed step: end the failed transaction."""
    if conn is not None and conn.in_transaction():
        conn.rollback()


r = Runner(on_error=reset)


def connect():
    global conn
    conn = engine.connect()
    expect(conn.execute(sa.text("SELECT 1")).scalar(), 1, "SELECT 1")
    conn.rollback()


def version():
    v = engine.dialect.server_version_info
    if not v or not isinstance(v[0], int):
        raise Failed("server_version_info %r" % (v,))


def create_table():
    meta.drop_all(engine, tables=[table])
    meta.create_all(engine, tables=[table])
    expect(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar(), 0, "rows in new table")
    conn.rollback()


def insert_params():
    with engine.begin() as c:
        c.execute(table.insert(), [dict(zip(["id", "name", "active", "price", "created", "note"], row)) for row in ROWS])
    expect(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar(), 3, "rows")
    conn.rollback()


def ids(where):
    out = [row[0] for row in conn.execute(sa.select(table.c.id).where(where).order_by(table.c.id))]
    conn.rollback()
    return out


def select_int():
    expect(conn.execute(sa.select(table.c.name).where(table.c.id == 2)).scalar(), "beta", "name of id 2")
    conn.rollback()


def select_text():
    expect(ids(table.c.name == "gamma"), [3], "ids")


def select_bool():
    expect(ids(table.c.active == True), [1, 3], "ids")  # noqa: E712 — a bound boolean


def select_numeric():
    expect(ids(table.c.price > decimal.Decimal("10.00")), [1, 3], "ids")
    expect(num(conn.execute(sa.select(table.c.price).where(table.c.id == 3)).scalar()), decimal.Decimal("100.01"), "price")
    conn.rollback()


def select_timestamp():
    expect(ids(table.c.created >= datetime.datetime(2024, 2, 1)), [2, 3], "ids")
    expect(conn.execute(sa.select(table.c.created).where(table.c.id == 1)).scalar(), datetime.datetime(2024, 1, 2, 3, 4, 5), "created")
    conn.rollback()


def select_null():
    expect(conn.execute(sa.select(table.c.note).where(table.c.id == 1)).scalar(), None, "note of id 1")
    conn.rollback()
    with engine.begin() as c:
        c.execute(table.update().where(table.c.id == 3).values(note=None))
    expect(ids(table.c.note.is_(None)), [1, 3], "ids after update")


def result_types():
    row = conn.execute(sa.select(table).where(table.c.id == 2)).one()
    conn.rollback()
    expect(tuple(row), (2, "beta", False, decimal.Decimal("7.25"), datetime.datetime(2024, 2, 3, 4, 5, 6), "second"), "row")
    expect([type(v).__name__ for v in row], ["int", "str", "bool", "Decimal", "datetime", "str"], "value types")


def tx_commit():
    with conn.begin():
        conn.execute(table.insert().values(id=10, name="committed"))
    expect(ids(table.c.id == 10), [10], "committed row")


def tx_rollback():
    tx = conn.begin()
    conn.execute(table.insert().values(id=11, name="rolled back"))
    conn.execute(table.update().where(table.c.id == 1).values(name="changed"))
    tx.rollback()
    expect(ids(table.c.id == 11), [], "rolled back row")
    expect(conn.execute(sa.select(table.c.name).where(table.c.id == 1)).scalar(), "alpha", "name after rollback")
    conn.rollback()


def missing_table():
    try:
        conn.execute(sa.text("SELECT * FROM %s_missing" % TABLE))
    except sa.exc.DBAPIError as e:
        code = getattr(e.orig, "pgcode", None) if DIALECT == "postgresql" else e.orig.args[0]
        expect(code, "42P01" if DIALECT == "postgresql" else 1146, "error code")
        conn.rollback()
    else:
        raise Failed("no error")
    expect(conn.execute(sa.text("SELECT 1")).scalar(), 1, "SELECT 1 after the error")
    conn.rollback()


def inspector():
    return sa.inspect(engine)


def inspect_table_names():
    names = inspector().get_table_names()
    if TABLE not in names:
        raise Failed("%s not in %r" % (TABLE, names))


def inspect_columns():
    cols = inspector().get_columns(TABLE)
    expect([c["name"] for c in cols], ["id", "name", "active", "price", "created", "note"], "column names")
    expect([c["nullable"] for c in cols], [False, False, True, True, True, True], "nullable")
    types = [c["type"] for c in cols]
    if not isinstance(types[0], sa.Integer) or not isinstance(types[1], sa.String) or not isinstance(types[3], sa.Numeric) \
            or not isinstance(types[4], sa.DateTime):
        raise Failed("column types %r" % (types,))
    expect((types[1].length, types[3].precision, types[3].scale), (40, 10, 2), "varchar length, numeric precision and scale")


def inspect_pk():
    expect(inspector().get_pk_constraint(TABLE)["constrained_columns"], ["id"], "primary key")


def inspect_indexes():
    idx = [(i["name"], i["column_names"], bool(i["unique"])) for i in inspector().get_indexes(TABLE)]
    expect(idx, [(INDEX, ["name"], False)], "indexes")


def has_table():
    i = inspector()
    expect((i.has_table(TABLE), i.has_table(TABLE + "_missing")), (True, False), "has_table")


def orm_session():
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    with orm.Session(engine) as s:
        s.add_all([Item(id=1, label="one", amount=decimal.Decimal("1.10"), seen=datetime.datetime(2024, 5, 6, 7, 8, 9)),
                   Item(id=2, label="two", amount=decimal.Decimal("2.20"))])
        s.commit()
    with orm.Session(engine) as s:
        it = s.query(Item).filter(Item.label == "one").one()
        expect((it.id, num(it.amount), it.seen), (1, decimal.Decimal("1.10"), datetime.datetime(2024, 5, 6, 7, 8, 9)), "item one")
        it.label = "uno"
        s.commit()
        expect([x.label for x in s.query(Item).order_by(Item.id)], ["uno", "two"], "labels after update")
        s.delete(s.get(Item, 2))
        s.commit()
        expect(s.query(Item).count(), 1, "items after delete")


print("driver SQLAlchemy %s" % sa.__version__, flush=True)
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
r.step("inspect_table_names", inspect_table_names)
r.step("inspect_columns", inspect_columns)
r.step("inspect_pk", inspect_pk)
r.step("inspect_indexes", inspect_indexes)
r.step("has_table", has_table)
r.step("orm_session", orm_session)
conn.close()
engine.dispose()
