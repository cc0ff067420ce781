// mysql2 against Floe's MySQL protocol (see compat.js). Parameterized
// statements use execute (server-side prepared statements, binary
// protocol); plain ones use query (text protocol).
'use strict';
const mysql = require('mysql2/promise');
const { conf, TABLE, expect, run, Failed } = require('./compat');

let c;
const q = async (text) => (await c.query(text))[0];
const x = async (text, values) => (await c.execute(text, values))[0];
const ids = async (text, values) => (await x(text, values)).map((r) => r.id);

console.log(`driver mysql2 ${require('mysql2/package.json').version}`);

const steps = [
  ['connect', async () => { c = await mysql.createConnection({ ...conf, connectTimeout: 10000 }); }, true],
  ['version', async () => {
    const v = (await q('SELECT VERSION() AS v'))[0].v;
    if (typeof v !== 'string' || !v) throw new Failed(`VERSION() ${v}`);
    const vv = (await q('SELECT @@version AS v'))[0].v;
    if (vv !== v) throw new Failed(`@@version ${vv}, VERSION() ${v}`);
  }],
  ['create_table', async () => {
    await q(`DROP TABLE IF EXISTS ${TABLE}`);
    await q(`CREATE TABLE ${TABLE} (id int PRIMARY KEY, name varchar(40) NOT NULL, active boolean, price decimal(10,2), created datetime, note text)`);
    await q(`CREATE INDEX ${TABLE}_name ON ${TABLE} (name)`);
    expect((await q(`SELECT count(*) AS n FROM ${TABLE}`))[0].n, 0, 'rows in new table');
  }, true],
  ['insert_params', async () => {
    const ins = `INSERT INTO ${TABLE} (id, name, active, price, created, note) VALUES (?, ?, ?, ?, ?, ?)`;
    await x(ins, [1, 'alpha', true, '12.50', new Date(2024, 0, 2, 3, 4, 5), null]);
    await x(ins, [2, 'beta', false, '7.25', new Date(2024, 1, 3, 4, 5, 6), 'second']);
    await x(ins, [3, 'gamma', true, '100.01', new Date(2024, 2, 4, 5, 6, 7), 'third']);
    expect((await q(`SELECT count(*) AS n FROM ${TABLE}`))[0].n, 3, 'rows');
  }],
  ['select_int', async () => {
    expect(await x(`SELECT name FROM ${TABLE} WHERE id = ?`, [2]), [{ name: 'beta' }], 'rows');
  }],
  ['select_text', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE name = ?`, ['gamma']), [3], 'ids');
  }],
  ['select_bool', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE active = ? ORDER BY id`, [true]), [1, 3], 'ids');
  }],
  ['select_numeric', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE price > ? ORDER BY id`, ['10.00']), [1, 3], 'ids');
    expect((await x(`SELECT price FROM ${TABLE} WHERE id = ?`, [3]))[0].price, '100.01', 'price');
  }],
  ['select_timestamp', async () => {
    expect(await ids(`SELECT id FROM ${TABLE} WHERE created >= ? ORDER BY id`, [new Date(2024, 1, 1)]), [2, 3], 'ids');
    const t = (await x(`SELECT created FROM ${TABLE} WHERE id = ?`, [1]))[0].created;
    if (!(t instanceof Date)) throw new Failed(`created is ${typeof t} ${t}, not a Date`);
    expect([t.getFullYear(), t.getMonth() + 1, t.getDate(), t.getHours(), t.getMinutes(), t.getSeconds()], [2024, 1, 2, 3, 4, 5], 'created');
  }],
  ['select_null', async () => {
    expect((await x(`SELECT note FROM ${TABLE} WHERE id = ?`, [1]))[0].note, null, 'note of id 1');
    await x(`UPDATE ${TABLE} SET note = ? WHERE id = ?`, [null, 3]);
    expect(await ids(`SELECT id FROM ${TABLE} WHERE note IS NULL ORDER BY id`, []), [1, 3], 'ids after update');
  }],
  ['result_types', async () => {
    const [rows, fields] = await c.query(`SELECT id, name, active, price, created, note FROM ${TABLE} WHERE id = 2`);
    const T = mysql.Types;
    // INT, VARCHAR, TINYINT (boolean), NEWDECIMAL, DATETIME, BLOB (text)
    expect(fields.map((f) => f.columnType), [T.LONG, T.VAR_STRING, T.TINY, T.NEWDECIMAL, T.DATETIME, T.BLOB], 'field types');
    const r = rows[0];
    expect([r.id, r.name, r.active, r.price, r.created instanceof Date, r.note], [2, 'beta', 0, '7.25', true, 'second'], 'values');
  }],
  ['tx_commit', async () => {
    await c.beginTransaction();
    await x(`INSERT INTO ${TABLE} (id, name) VALUES (?, ?)`, [10, 'committed']);
    await c.commit();
    expect(await ids(`SELECT id FROM ${TABLE} WHERE id = ?`, [10]), [10], 'committed row');
  }],
  ['tx_rollback', async () => {
    await c.beginTransaction();
    await x(`INSERT INTO ${TABLE} (id, name) VALUES (?, ?)`, [11, 'rolled back']);
    await q(`UPDATE ${TABLE} SET name = 'changed' WHERE id = 1`);
    await c.rollback();
    expect(await ids(`SELECT id FROM ${TABLE} WHERE id = ?`, [11]), [], 'rolled back row');
    expect((await q(`SELECT name FROM ${TABLE} WHERE id = 1`))[0].name, 'alpha', 'name after rollback');
  }],
  ['missing_table', async () => {
    let err;
    try { await q(`SELECT * FROM ${TABLE}_missing`); } catch (e) { err = e; }
    if (!err) throw new Failed('no error');
    expect(err.errno, 1146, 'errno');
    expect((await q('SELECT 1 AS one'))[0].one, 1, 'SELECT 1 after the error');
  }],
];

run(steps, async () => { if (c) await c.rollback(); }).then(() => c && c.end()).catch((e) => { console.error(e); process.exit(1); });
