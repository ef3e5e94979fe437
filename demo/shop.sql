-- demo/shop.sql -- the demo's sample MySQL/MariaDB database: a small shop
-- (customers, products, orders, order_lines) with decimal, datetime(3), enum,
-- json, unicode varchar, tinyint(1), text and foreign keys, and a few thousand
-- rows generated in SQL (recursive CTEs of at most 100 steps, crossed with
-- themselves: no external data, no recursion limit to raise).  Loaded by demo/run
-- into database `shop` before init_replica.  Runs on MariaDB 10.3+ and MySQL 8.

CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE shop;

CREATE TABLE customers (
    id          int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email       varchar(120) NOT NULL,
    name        varchar(100) NOT NULL,
    country     char(2) NOT NULL,
    tier        enum('bronze', 'silver', 'gold') NOT NULL DEFAULT 'bronze',
    prefs       json NULL,
    created_at  datetime(3) NOT NULL,
    UNIQUE KEY email (email)
) ENGINE=InnoDB;

CREATE TABLE products (
    id          int unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku         char(10) NOT NULL,
    name        varchar(200) NOT NULL,
    price       decimal(10,2) NOT NULL,
    stock       int unsigned NOT NULL DEFAULT 0,
    active      tinyint(1) NOT NULL DEFAULT 1,
    attrs       json NULL,
    UNIQUE KEY sku (sku)
) ENGINE=InnoDB;

CREATE TABLE orders (
    id          bigint NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id int unsigned NOT NULL,
    status      enum('new', 'paid', 'shipped', 'cancelled') NOT NULL DEFAULT 'new',
    ordered_at  datetime(3) NOT NULL,
    total       decimal(12,2) NOT NULL DEFAULT 0.00,
    note        text NULL,
    KEY ordered_at (ordered_at),
    CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB;

CREATE TABLE order_lines (
    order_id    bigint NOT NULL,
    line_no     smallint NOT NULL,
    product_id  int unsigned NOT NULL,
    quantity    int NOT NULL,
    unit_price  decimal(10,2) NOT NULL,
    PRIMARY KEY (order_id, line_no),
    CONSTRAINT order_lines_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT order_lines_product FOREIGN KEY (product_id) REFERENCES products (id)
) ENGINE=InnoDB;

-- 200 products: unicode names, prices 1.99 .. 500.98, json attributes.
INSERT INTO products (sku, name, price, stock, active, attrs)
WITH RECURSIVE d (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 99),
     n (i) AS (SELECT a.i * 100 + b.i + 1 FROM d a CROSS JOIN d b)
SELECT CONCAT('SKU-', LPAD(i, 6, '0')),
       CONCAT(ELT(1 + i % 6, 'Café cup', 'Smørrebrød plate', 'Crème brûlée set',
                  'Teekanne für 4', '茶碗 tea bowl', 'Ñandú poster 🦤'), ' #', i),
       ROUND(1.99 + (i * 37 % 500), 2),
       i * 13 % 250,
       i % 17 <> 0,
       JSON_OBJECT('color', ELT(1 + i % 4, 'red', 'green', 'blue', 'black'),
                   'weight_g', 50 + i * 7 % 900,
                   'tags', JSON_ARRAY('demo', CONCAT('batch', i % 3)))
FROM n WHERE i <= 200 ORDER BY i;

-- 1000 customers: unicode names, three tiers, some without prefs.
INSERT INTO customers (email, name, country, tier, prefs, created_at)
WITH RECURSIVE d (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 99),
     n (i) AS (SELECT a.i * 100 + b.i + 1 FROM d a CROSS JOIN d b)
SELECT CONCAT('customer', i, '@example.com'),
       CONCAT(ELT(1 + i % 8, 'Zoë', 'José', 'Ægir', 'Łukasz', 'Søren', 'Françoise', '美咲', 'Ólafur'),
              ' ', ELT(1 + i % 5, 'Müller', 'Núñez', 'Ångström', 'Dvořák', '山田')),
       ELT(1 + i % 6, 'DE', 'ES', 'SE', 'PL', 'JP', 'FR'),
       ELT(1 + i % 3, 'bronze', 'silver', 'gold'),
       IF(i % 10 = 0, NULL,
          JSON_OBJECT('newsletter', IF(i % 2 = 0, 'yes', 'no'), 'lang', ELT(1 + i % 3, 'en', 'de', 'ja'))),
       TIMESTAMP('2024-01-01 08:00:00') + INTERVAL (i * 7919) SECOND + INTERVAL (i * 37 % 1000) * 1000 MICROSECOND
FROM n WHERE i <= 1000 ORDER BY i;

-- 2000 orders, 1 to 4 lines each (about 5000 lines).
INSERT INTO orders (customer_id, status, ordered_at, total, note)
WITH RECURSIVE d (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM d WHERE i < 99),
     n (i) AS (SELECT a.i * 100 + b.i + 1 FROM d a CROSS JOIN d b)
SELECT 1 + (i * 7 % 1000),
       ELT(1 + i % 4, 'new', 'paid', 'shipped', 'cancelled'),
       TIMESTAMP('2024-03-01 00:00:00') + INTERVAL (i * 3301) SECOND + INTERVAL (i * 53 % 1000) * 1000 MICROSECOND,
       0.00,
       IF(i % 7 = 0, CONCAT('Bitte klingeln — ring twice ', i), NULL)
FROM n WHERE i <= 2000 ORDER BY i;

INSERT INTO order_lines (order_id, line_no, product_id, quantity, unit_price)
WITH RECURSIVE l (k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM l WHERE k < 4)
SELECT o.id, l.k, p.id, 1 + (o.id + l.k) % 5, p.price
FROM orders o
JOIN l ON l.k <= 1 + o.id % 4
JOIN products p ON p.id = 1 + (o.id * 31 + l.k * 17) % 200;

UPDATE orders o
JOIN (SELECT order_id, SUM(quantity * unit_price) AS total FROM order_lines GROUP BY order_id) t
  ON t.order_id = o.id
SET o.total = t.total;
