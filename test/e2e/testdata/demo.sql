select count(*) as orders from orders;
select id, name, country, vip from customers order by id limit 3;
select c.country, count(*) as n, round(sum(o.total), 2) as revenue
  from orders o join customers c on c.id = o.customer_id
  group by c.country order by c.country;
insert into products (name, category, price, stock) values ('Widget', 'garden', 9.99, 5);
select name, price from products where name = 'Widget';
update products set stock = stock - 1 where name = 'Widget';
select 1/0 as z, 'text' as t, 1.5 as f, null as n;
select * from no_such_table;
begin;
delete from products where name = 'Widget';
rollback;
select count(*) from products where name = 'Widget';
delete from products where name = 'Widget';
