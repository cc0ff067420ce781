select id, name, country, vip from customers order by id limit 3;
select count(*) as orders, round(sum(total), 2) as revenue from orders;
show tables;
select database();
select p.name, count(*) as n from orders o join products p on p.id = o.product_id group by p.name order by n desc, p.name limit 2;
select * from no_such_table;
select 'still here' as status;
