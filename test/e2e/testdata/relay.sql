create table fruit (id serial primary key, name text not null unique, price numeric(6,2));
insert into fruit (name, price) values ('apple', 1.20), ('pear', 0.95);
\copy fruit (name, price) from stdin
plum	2.50
fig	3.10
\.
select id, name, price from fruit order by id;
select name from fruit where price > $$1$$::numeric order by name;
insert into fruit (name) values ('apple');
begin;
update fruit set price = price * 2;
select sum(price) from fruit;
rollback;
select sum(price) from fruit;
\copy (select name from fruit order by name) to stdout
prepare cheap as select name from fruit where price < $1 order by name;
execute cheap(2);
select 1/0;
select current_user = 'postgres' as runs_as_backend_role;
