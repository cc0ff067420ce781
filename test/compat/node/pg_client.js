// node-postgres (pg) against Floe's PostgreSQL protocol (see compat.js).
'use strict';
const { Client } = require('pg');
const { conf, TABLE, expect, run, Failed } = require('./compat');

const c = new Client({ ...conf, ssl: false, connectionTimeoutMillis: 10000 });
const q = (text, values) => c.query(text, values);
const ids = async (text, values) => (await q(text, values)).rows.map((r) => r.id);

console.log(`driver pg ${require('pg/package.json').version}`);

const steps = [
  ['connect', () => c.connect(), true],
  ['version', async () => {
    const v = (await q('SELECT version() AS v')).rows[0].v;
    if (typeof v !== 'string' || !v) throw new Failed(`version() ${v}`);
    const sv = (await q('SHOW server_version')).rows[0].server_version;
    if (!/^\d+/.test(sv)) throw new Failed(`server_version ${sv}`);
  }],
  ['create_table', async () => {
    await q(`DROP TABLE IF EXISTS ${TABLE}`);
    await q(`CREATE TABLE ${TABLE} (id integer PRIMARY KEY, name varchar(40) NOT NULL, active boolean, price numeric(10,2), created timestamp, note text)`);
    await q(`CREATE INDEX ${TABLE}_name ON ${TABLE} (name)`);
    expect(Number((await q(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n), 0, 'rows in new table');
  }, true],
  ['insert_params', async () => {
    const ins = `INSERT INTO ${TABLE} (id, name, active, price, created, note) VALUES ($1::int, $2::text, $3::boolean, $4::numeric, $5::timestamp, $6::text)`;
    await q(ins, [1, 'alpha', true, '12.50', '2024-01-02 03:04:05', null]);
    await q(ins, [2, 'beta', false, '7.25', '2024-02-03 04:05:06', 'second']);
    await q(ins, [3, 'gamma', true, '100.01', '2024-03-04 05:06:07', 'third']);
    expect(Number((await q(`SELECT count(*) AS n FROM ${TABLE}`)).rows[0].n), 3, 'rows');
  }],
  ['select_int', async () => {
    expect((await q(`SELECT name FROM ${TABLE} WHERE id = $1::int`, [2])).rows, [{ name: 'beta' }], 'rows');
  }],
  ['select_text', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE name = $1`, ['gamma']), [3], 'ids');
  }],
  ['select_bool', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE active = $1::boolean ORDER BY id`, [true]), [1, 3], 'ids');
  }],
  ['select_numeric', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE price > $1::numeric ORDER BY id`, ['10.00']), [1, 3], 'ids');
    expect((await q(`SELECT price FROM ${TABLE} WHERE id = 3`)).rows[0].price, '100.01', 'price');
  }],
  ['select_timestamp', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE created >= $1::timestamp ORDER BY id`, ['2024-02-01 00:00:00']), [2, 3], 'ids');
    const t = (await q(`SELECT created FROM ${TABLE} WHERE id = 1`)).rows[0].created;
    if (!(t instanceof Date)) throw new Failed(`created is ${typeof t} ${t}, not a Date`);
    expect([t.getFullYear(), t.getMonth() + 1, t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()], [2024, 1, 2, 3, 4, 5], 'created');
  }],
  ['select_null', async () => {
    expect((await q(`SELECT note FROM ${TABLE} WHERE id = 1`)).rows[0].note, null, 'note of id 1');
    await q(`UPDATE ${TABLE} SET note = $1::text WHERE id = $2::int`, [null, 3]);
    expect(await ids(`SELECT id FROM ${TABLE} WHERE note IS NULL ORDER BY id`), [1, 3], 'ids after update');
  }],
  ['result_types', async () => {
    const res = await q(`SELECT id, name, active, price, created, note FROM ${TABLE} WHERE id = 2`);
    // int4, varchar, bool, numeric, timestamp, text
    expect(res.fields.map((f) => f.dataTypeID), [23, 1043, 16, 1700, 1114, 25], 'field type oids');
    const r = res.rows[0];
    expect([typeof r.id, typeof r.name, typeof r.active, typeof r.price, r.created instanceof Date, typeof r.note],
      ['number', 'string', 'boolean', 'string', true, 'string'], 'value types');
  }],
  ['tx_commit', async () => {
    await q('BEGIN');
    await q(`INSERT INTO ${TABLE} (id, name) VALUES ($1::int, $2::text)`, [10, 'committed']);
    await q('COMMIT');
    expect(await ids(`SELECT id FROM ${TABLE} WHERE id = $1::int`, [10]), [10], 'committed row');
  }],
  ['tx_rollback', async () => {
    await q('BEGIN');
    await q(`INSERT INTO ${TABLE} (id, name) VALUES ($1::int, $2::text)`, [11, 'rolled back']);
    await q(`UPDATE ${TABLE} SET name = 'changed' WHERE id = 1`);
    await q('ROLLBACK');
    expect(await ids(`SELECT id FROM ${TABLE} WHERE id = $1::int`, [11]), [], 'rolled back row');
    expect((await q(`SELECT name FROM ${TABLE} WHERE id = 1`)).rows[0].name, 'alpha', 'name after rollback');
  }],
  ['missing_table', async () => {
    let err;
    try { await q(`SELECT * FROM ${TABLE}_missing`); } catch (e) { err = e; }
    if (!err) throw new Failed('no error');
    expect(err.code, '42P01', 'SQLSTATE');
    expect((await q('SELECT 1 AS one')).rows[0].one, 1, 'SELECT 1 after the error');
  }],
];

run(steps, async () => { await q('ROLLBACK'); }).then(() => c.end()).catch((e) => { console.error(e); process.exit(1); });
