-- app_upgrade.sql -- the schema and upgrade DDL of a blog/shop/wiki
-- application, in the style of WordPress + WooCommerce and MediaWiki
-- (written for pg_chameleon's tests, not copied from them): CREATE TABLE as
-- their installers write it, the ALTERs their schema updaters re-issue on
-- every upgrade, interleaved with the DML a running site does.  Run by
-- t/049_app_schema.pl on MariaDB while the replica streams.

SET SESSION sql_mode = '';

-- ---------------------------------------------------------------- install
CREATE TABLE wp_options (
  option_id bigint(20) unsigned NOT NULL auto_increment,
  option_name varchar(191) NOT NULL default '',
  option_value longtext NOT NULL,
  autoload varchar(20) NOT NULL default 'yes',
  PRIMARY KEY  (option_id),
  UNIQUE KEY option_name (option_name),
  KEY autoload (autoload)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_users (
  ID bigint(20) unsigned NOT NULL auto_increment,
  user_login varchar(60) NOT NULL default '',
  user_pass varchar(255) NOT NULL default '',
  user_nicename varchar(50) NOT NULL default '',
  user_email varchar(100) NOT NULL default '',
  user_url varchar(100) NOT NULL default '',
  user_registered datetime NOT NULL default '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL default '',
  user_status int(11) NOT NULL default '0',
  display_name varchar(250) NOT NULL default '',
  PRIMARY KEY  (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_usermeta (
  umeta_id bigint(20) unsigned NOT NULL auto_increment,
  user_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY  (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_posts (
  ID bigint(20) unsigned NOT NULL auto_increment,
  post_author bigint(20) unsigned NOT NULL default '0',
  post_date datetime NOT NULL default '0000-00-00 00:00:00',
  post_date_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  post_content longtext NOT NULL,
  post_title text NOT NULL,
  post_excerpt text NOT NULL,
  post_status varchar(20) NOT NULL default 'publish',
  comment_status varchar(20) NOT NULL default 'open',
  ping_status varchar(20) NOT NULL default 'open',
  post_password varchar(255) NOT NULL default '',
  post_name varchar(200) NOT NULL default '',
  to_ping text NOT NULL,
  pinged text NOT NULL,
  post_modified datetime NOT NULL default '0000-00-00 00:00:00',
  post_modified_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  post_content_filtered longtext NOT NULL,
  post_parent bigint(20) unsigned NOT NULL default '0',
  guid varchar(255) NOT NULL default '',
  menu_order int(11) NOT NULL default '0',
  post_type varchar(20) NOT NULL default 'post',
  post_mime_type varchar(100) NOT NULL default '',
  comment_count bigint(20) NOT NULL default '0',
  PRIMARY KEY  (ID),
  KEY post_name (post_name(191)),
  KEY type_status_date (post_type,post_status,post_date,ID),
  KEY post_parent (post_parent),
  KEY post_author (post_author)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_postmeta (
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  post_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY  (meta_id),
  KEY post_id (post_id),
  KEY meta_key (meta_key(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_comments (
  comment_ID bigint(20) unsigned NOT NULL auto_increment,
  comment_post_ID bigint(20) unsigned NOT NULL default '0',
  comment_author tinytext NOT NULL,
  comment_author_email varchar(100) NOT NULL default '',
  comment_author_IP varchar(100) NOT NULL default '',
  comment_date datetime NOT NULL default '0000-00-00 00:00:00',
  comment_date_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  comment_content text NOT NULL,
  comment_karma int(11) NOT NULL default '0',
  comment_approved varchar(20) NOT NULL default '1',
  comment_type varchar(20) NOT NULL default 'comment',
  comment_parent bigint(20) unsigned NOT NULL default '0',
  user_id bigint(20) unsigned NOT NULL default '0',
  PRIMARY KEY  (comment_ID),
  KEY comment_post_ID (comment_post_ID),
  KEY comment_approved_date_gmt (comment_approved,comment_date_gmt),
  KEY comment_date_gmt (comment_date_gmt),
  KEY comment_parent (comment_parent),
  KEY comment_author_email (comment_author_email(10))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_terms (
 term_id bigint(20) unsigned NOT NULL auto_increment,
 name varchar(200) NOT NULL default '',
 slug varchar(200) NOT NULL default '',
 term_group bigint(10) NOT NULL default 0,
 PRIMARY KEY  (term_id),
 KEY slug (slug(191)),
 KEY name (name(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_term_taxonomy (
 term_taxonomy_id bigint(20) unsigned NOT NULL auto_increment,
 term_id bigint(20) unsigned NOT NULL default 0,
 taxonomy varchar(32) NOT NULL default '',
 description longtext NOT NULL,
 parent bigint(20) unsigned NOT NULL default 0,
 count bigint(20) NOT NULL default 0,
 PRIMARY KEY  (term_taxonomy_id),
 UNIQUE KEY term_id_taxonomy (term_id,taxonomy),
 KEY taxonomy (taxonomy)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_term_relationships (
 object_id bigint(20) unsigned NOT NULL default 0,
 term_taxonomy_id bigint(20) unsigned NOT NULL default 0,
 term_order int(11) NOT NULL default 0,
 PRIMARY KEY  (object_id,term_taxonomy_id),
 KEY term_taxonomy_id (term_taxonomy_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_links (
  link_id bigint(20) unsigned NOT NULL auto_increment,
  link_url varchar(255) NOT NULL default '',
  link_name varchar(255) NOT NULL default '',
  link_visible varchar(20) NOT NULL default 'Y',
  link_rating int(11) NOT NULL default '0',
  link_updated datetime NOT NULL default '0000-00-00 00:00:00',
  PRIMARY KEY  (link_id),
  KEY link_visible (link_visible)
) ENGINE=MyISAM DEFAULT CHARSET=utf8;

INSERT INTO wp_options (option_name, option_value, autoload) VALUES
  ('siteurl', 'http://example.test', 'yes'), ('blogname', 'Chameleon blog', 'yes'),
  ('db_version', '38590', 'yes'), ('cron', 'a:0:{}', 'yes'), ('widget_text', 'a:1:{i:2;a:0:{}}', 'no');
INSERT INTO wp_users (user_login, user_pass, user_nicename, user_email, user_registered, display_name)
  VALUES ('admin', '$P$Bxyz', 'admin', 'admin@example.test', '2020-01-01 10:00:00', 'Admin'),
         ('editor', '$P$Babc', 'editor', 'ed@example.test', '0000-00-00 00:00:00', 'Ed');
INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES
  (1, 'nickname', 'admin'), (1, 'wp_capabilities', 'a:1:{s:13:"administrator";b:1;}'), (2, 'nickname', 'ed');
INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt,
    post_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, guid, post_type)
  VALUES (1, '2020-01-01 10:00:00', '2020-01-01 09:00:00', 'Welcome. This is your first post.', 'Hello world!', '',
    'publish', 'hello-world', '', '', '2020-01-01 10:00:00', '2020-01-01 09:00:00', '', 'http://example.test/?p=1', 'post'),
  (1, '2020-01-02 11:00:00', '0000-00-00 00:00:00', 'Draft text with émojis 🦎', 'A draft', '',
    'draft', '', '', '', '2020-01-02 11:00:00', '0000-00-00 00:00:00', '', '', 'post'),
  (1, '2020-01-03 12:00:00', '2020-01-03 11:00:00', '<!-- wp:paragraph -->Sample page<!-- /wp:paragraph -->',
    'Sample Page', '', 'publish', 'sample-page', '', '', '2020-01-03 12:00:00', '2020-01-03 11:00:00', '', '', 'page');
INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (3, '_wp_page_template', 'default'), (1, '_edit_lock', '1577869200:1');
INSERT INTO wp_comments (comment_post_ID, comment_author, comment_author_email, comment_date, comment_date_gmt, comment_content)
  VALUES (1, 'A WordPress Commenter', 'wapuu@example.test', '2020-01-01 10:00:00', '2020-01-01 09:00:00', 'Hi, this is a comment.');
INSERT INTO wp_terms (name, slug) VALUES ('Uncategorized', 'uncategorized'), ('News', 'news');
INSERT INTO wp_term_taxonomy (term_id, taxonomy, description, count) VALUES (1, 'category', '', 1), (2, 'category', 'News items', 0);
INSERT INTO wp_term_relationships (object_id, term_taxonomy_id) VALUES (1, 1), (2, 1);
INSERT INTO wp_links (link_url, link_name) VALUES ('https://wordpress.org', 'WordPress');

-- the first draft post: NOT NULL default '0000-00-00 00:00:00' columns get zero dates
INSERT INTO wp_posts (post_author, post_content, post_title, post_excerpt, to_ping, pinged, post_content_filtered, post_status)
  VALUES (2, 'auto draft', 'Auto Draft', '', '', '', '', 'auto-draft');

-- ---------------------------------------------------------------- upgrade 1 (dbDelta)
ALTER TABLE wp_users CHANGE COLUMN user_registered user_registered datetime NOT NULL default '0000-00-00 00:00:00';
ALTER TABLE wp_posts CHANGE COLUMN post_date_gmt post_date_gmt datetime NOT NULL default '0000-00-00 00:00:00';
ALTER TABLE wp_posts MODIFY COLUMN post_modified_gmt datetime NOT NULL default '0000-00-00 00:00:00';
ALTER TABLE wp_comments CHANGE COLUMN comment_date_gmt comment_date_gmt datetime NOT NULL default '0000-00-00 00:00:00';
ALTER TABLE wp_links ENGINE=InnoDB;
ALTER TABLE wp_links CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
ALTER TABLE wp_links ALTER COLUMN link_updated SET DEFAULT '0000-00-00 00:00:00';
ALTER TABLE wp_options DROP INDEX autoload, ADD INDEX autoload (autoload);
ALTER TABLE wp_terms DROP INDEX slug, ADD INDEX slug (slug(191));
ALTER TABLE wp_users MODIFY user_url varchar(100) NOT NULL default '';
ALTER TABLE wp_comments ADD COLUMN comment_agent varchar(255) NOT NULL default '' AFTER comment_karma;
ALTER TABLE wp_posts ADD INDEX type_status_author (post_type, post_status, post_author);
ALTER TABLE wp_usermeta CHANGE meta_value meta_value longtext NULL;
UPDATE wp_options SET option_value = '45805' WHERE option_name = 'db_version';

INSERT INTO wp_posts (post_author, post_date, post_content, post_title, post_excerpt, to_ping, pinged, post_content_filtered)
  VALUES (1, NOW(), 'second post', 'Second', '', '', '', '');
UPDATE wp_posts SET post_status = 'publish', post_date_gmt = '2021-06-01 08:00:00' WHERE post_status = 'draft';
UPDATE wp_users SET user_registered = '2021-02-03 04:05:06' WHERE user_login = 'editor';
DELETE FROM wp_postmeta WHERE meta_key = '_edit_lock';
INSERT INTO wp_comments (comment_post_ID, comment_author, comment_content, comment_agent)
  VALUES (1, 'Bob', 'Nice post', 'Mozilla/5.0'), (1, 'Eve', 'spam spam', 'curl/8');
UPDATE wp_comments SET comment_approved = 'spam' WHERE comment_author = 'Eve';

-- ---------------------------------------------------------------- WooCommerce
CREATE TABLE wp_woocommerce_sessions (
  session_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  session_key char(32) NOT NULL,
  session_value longtext NOT NULL,
  session_expiry BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY  (session_id),
  UNIQUE KEY session_key (session_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_woocommerce_order_items (
  order_item_id BIGINT UNSIGNED NOT NULL auto_increment,
  order_item_name TEXT NOT NULL,
  order_item_type varchar(200) NOT NULL DEFAULT '',
  order_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY  (order_item_id),
  KEY order_id (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_woocommerce_order_itemmeta (
  meta_id BIGINT UNSIGNED NOT NULL auto_increment,
  order_item_id BIGINT UNSIGNED NOT NULL,
  meta_key varchar(255) default NULL,
  meta_value longtext NULL,
  PRIMARY KEY  (meta_id),
  KEY order_item_id (order_item_id),
  KEY meta_key (meta_key(32))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_wc_product_meta_lookup (
  `product_id` bigint(20) NOT NULL,
  `sku` varchar(100) NULL default '',
  `virtual` tinyint(1) NULL default 0,
  `downloadable` tinyint(1) NULL default 0,
  `min_price` decimal(19,4) NULL default NULL,
  `max_price` decimal(19,4) NULL default NULL,
  `onsale` tinyint(1) NULL default 0,
  `stock_quantity` double NULL default NULL,
  `stock_status` varchar(100) NULL default 'instock',
  `rating_count` bigint(20) NULL default 0,
  `average_rating` decimal(3,2) NULL default 0.00,
  `total_sales` bigint(20) NULL default 0,
  `tax_status` varchar(100) NULL default 'taxable',
  `tax_class` varchar(100) NULL default '',
  PRIMARY KEY  (`product_id`),
  KEY `virtual` (`virtual`),
  KEY `stock_status` (`stock_status`),
  KEY min_max_price (`min_price`, `max_price`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_wc_customer_lookup (
  customer_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  user_id BIGINT UNSIGNED DEFAULT NULL,
  username varchar(60) DEFAULT '' NOT NULL,
  first_name varchar(255) NOT NULL,
  last_name varchar(255) NOT NULL,
  email varchar(100) NULL default NULL,
  date_last_active timestamp NULL default null,
  date_registered timestamp NULL default null,
  country char(2) DEFAULT '' NOT NULL,
  postcode varchar(20) DEFAULT '' NOT NULL,
  city varchar(100) DEFAULT '' NOT NULL,
  state varchar(100) DEFAULT '' NOT NULL,
  PRIMARY KEY (customer_id),
  UNIQUE KEY user_id (user_id),
  KEY email (email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_wc_orders (
  id bigint(20) unsigned,
  status varchar(20) null,
  currency varchar(10) null,
  type varchar(20) null,
  tax_amount decimal(26,8) null,
  total_amount decimal(26,8) null,
  customer_id bigint(20) unsigned null,
  billing_email varchar(320) null,
  date_created_gmt datetime null,
  date_updated_gmt datetime null,
  parent_order_id bigint(20) unsigned null,
  payment_method varchar(100) null,
  ip_address varchar(100) null,
  customer_note text null,
  PRIMARY KEY (id),
  KEY status (status),
  KEY date_created (date_created_gmt),
  KEY customer_id_billing_email (customer_id, billing_email(171)),
  KEY billing_email (billing_email(191)),
  KEY type_status_date (type, status, date_created_gmt),
  KEY parent_order_id (parent_order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_wc_download_log (
  download_log_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  timestamp datetime NOT NULL,
  permission_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  user_ip_address VARCHAR(100) NULL DEFAULT '',
  PRIMARY KEY  (download_log_id),
  KEY permission_id (permission_id),
  KEY timestamp (timestamp)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE wp_woocommerce_downloadable_product_permissions (
  permission_id BIGINT UNSIGNED NOT NULL auto_increment,
  download_id varchar(36) NOT NULL,
  product_id BIGINT UNSIGNED NOT NULL,
  order_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  order_key varchar(200) NOT NULL,
  user_email varchar(200) NOT NULL,
  downloads_remaining varchar(9) NULL,
  access_granted datetime NOT NULL default '0000-00-00 00:00:00',
  access_expires datetime NULL default null,
  download_count BIGINT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY  (permission_id),
  KEY download_order_key_product (product_id,order_id,order_key(16),download_id),
  KEY download_order_product (download_id, order_id, product_id),
  KEY order_id (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE wp_wc_download_log ADD CONSTRAINT fk_wp_wc_download_log_permission_id
  FOREIGN KEY (permission_id) REFERENCES wp_woocommerce_downloadable_product_permissions(permission_id) ON DELETE CASCADE;

INSERT INTO wp_woocommerce_sessions (session_key, session_value, session_expiry)
  VALUES ('c1b8a0f2e3d4c5b6a7f8e9d0c1b2a3f4', 'a:1:{s:4:"cart";s:6:"a:0:{}";}', 1700000000);
INSERT INTO wp_wc_orders VALUES
  (100, 'wc-processing', 'EUR', 'shop_order', 2.10000000, 12.60000000, 1, 'a@example.test', '2023-05-01 10:00:00', '2023-05-01 10:00:00', NULL, 'bacs', '192.0.2.1', NULL),
  (101, 'wc-pending', 'EUR', 'shop_order', 0, 5.00000000, NULL, 'g@example.test', '2023-05-02 10:00:00', NULL, NULL, 'cheque', '2001:db8::1', 'leave at door');
INSERT INTO wp_woocommerce_order_items (order_item_name, order_item_type, order_id) VALUES ('Hoodie', 'line_item', 100), ('Shipping', 'shipping', 100), ('Cap', 'line_item', 101);
INSERT INTO wp_woocommerce_order_itemmeta (order_item_id, meta_key, meta_value) VALUES (1, '_qty', '2'), (1, '_line_total', '10.5'), (3, '_qty', '1');
INSERT INTO wp_wc_product_meta_lookup (product_id, sku, `virtual`, min_price, max_price, onsale, stock_quantity, average_rating, total_sales)
  VALUES (10, 'HOOD-1', 0, 5.2500, 5.2500, 1, 12, 4.50, 3), (11, 'CAP-1', 0, 5.0000, 5.0000, 0, NULL, 0, 1), (12, 'EBOOK', 1, 0, 0, 0, NULL, 0, 0);
INSERT INTO wp_wc_customer_lookup (user_id, username, first_name, last_name, email, date_registered, country, postcode, city)
  VALUES (1, 'admin', 'Ada', 'Min', 'a@example.test', '2023-01-01 00:00:00', 'FR', '75001', 'Paris'), (NULL, '', 'Guest', 'Buyer', 'g@example.test', NULL, 'DE', '10115', 'Berlin');
INSERT INTO wp_woocommerce_downloadable_product_permissions (download_id, product_id, order_id, order_key, user_email, downloads_remaining, access_granted)
  VALUES ('6f1c1b5e-0d2a-4d43-9e3a-2f9d2d3b1a00', 12, 100, 'wc_order_abc', 'a@example.test', '', '2023-05-01 10:00:00'),
         ('6f1c1b5e-0d2a-4d43-9e3a-2f9d2d3b1a01', 12, 101, 'wc_order_def', 'g@example.test', '3', '0000-00-00 00:00:00');
INSERT INTO wp_wc_download_log (timestamp, permission_id, user_id, user_ip_address)
  VALUES ('2023-05-01 11:00:00', 1, 1, '192.0.2.1'), ('2023-05-01 12:00:00', 1, 1, '192.0.2.1'), ('2023-05-03 09:00:00', 2, NULL, '');

-- ---------------------------------------------------------------- upgrade 2 (WooCommerce updater)
ALTER TABLE wp_wc_orders MODIFY COLUMN billing_email varchar(320) NULL, ADD COLUMN transaction_id varchar(100) NULL AFTER payment_method;
ALTER TABLE wp_woocommerce_order_itemmeta MODIFY meta_key varchar(255) NULL;
ALTER TABLE wp_wc_product_meta_lookup ADD COLUMN global_unique_id varchar(100) NULL DEFAULT '' AFTER sku;
ALTER TABLE wp_wc_product_meta_lookup MODIFY `onsale` tinyint(1) NOT NULL default 0;
ALTER TABLE wp_woocommerce_downloadable_product_permissions MODIFY access_granted datetime NOT NULL default '0000-00-00 00:00:00';
ALTER TABLE wp_wc_customer_lookup ADD INDEX (country, postcode), CHANGE COLUMN state state varchar(100) NOT NULL DEFAULT '';
ALTER TABLE wp_woocommerce_sessions CHANGE session_expiry session_expiry BIGINT UNSIGNED NOT NULL, ADD KEY session_expiry (session_expiry);

UPDATE wp_wc_orders SET status = 'wc-completed', transaction_id = 'tx-42', date_updated_gmt = '2023-05-02 12:00:00' WHERE id = 100;
UPDATE wp_wc_product_meta_lookup SET stock_quantity = stock_quantity - 2, total_sales = total_sales + 2 WHERE product_id = 10;
-- a refund deletes a permission: its download log goes with it (ON DELETE CASCADE)
DELETE FROM wp_woocommerce_downloadable_product_permissions WHERE permission_id = 1;
INSERT INTO wp_wc_download_log (timestamp, permission_id, user_ip_address) VALUES ('2023-05-04 09:00:00', 2, '198.51.100.7');
DELETE FROM wp_woocommerce_sessions WHERE session_expiry < 1800000000;

-- ---------------------------------------------------------------- MediaWiki
CREATE TABLE mw_page (
  page_id INT UNSIGNED AUTO_INCREMENT NOT NULL,
  page_namespace INT NOT NULL,
  page_title VARBINARY(255) NOT NULL,
  page_is_redirect TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  page_is_new TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  page_random DOUBLE PRECISION UNSIGNED NOT NULL,
  page_touched BINARY(14) NOT NULL,
  page_links_updated VARBINARY(14) DEFAULT NULL,
  page_latest INT UNSIGNED NOT NULL,
  page_len INT UNSIGNED NOT NULL,
  page_content_model VARBINARY(32) DEFAULT NULL,
  page_lang VARBINARY(35) DEFAULT NULL,
  UNIQUE INDEX page_name_title (page_namespace, page_title),
  INDEX page_random (page_random),
  INDEX page_len (page_len),
  INDEX page_redirect_namespace_len (page_is_redirect, page_namespace, page_len),
  PRIMARY KEY(page_id)
) ENGINE=InnoDB, DEFAULT CHARSET=binary;

CREATE TABLE mw_revision (
  rev_id BIGINT UNSIGNED AUTO_INCREMENT NOT NULL,
  rev_page INT UNSIGNED NOT NULL,
  rev_comment_id BIGINT UNSIGNED DEFAULT 0 NOT NULL,
  rev_actor BIGINT UNSIGNED DEFAULT 0 NOT NULL,
  rev_timestamp BINARY(14) NOT NULL,
  rev_minor_edit TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  rev_deleted TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  rev_len INT UNSIGNED DEFAULT NULL,
  rev_parent_id BIGINT UNSIGNED DEFAULT NULL,
  rev_sha1 VARBINARY(32) DEFAULT '' NOT NULL,
  INDEX rev_timestamp (rev_timestamp),
  INDEX rev_page_timestamp (rev_page, rev_timestamp),
  INDEX rev_actor_timestamp (rev_actor, rev_timestamp, rev_id),
  PRIMARY KEY(rev_id)
) ENGINE=InnoDB, DEFAULT CHARSET=binary, MAX_ROWS=10000000, AVG_ROW_LENGTH=1024;

CREATE TABLE mw_text (
  old_id INT UNSIGNED AUTO_INCREMENT NOT NULL,
  old_text MEDIUMBLOB NOT NULL,
  old_flags TINYBLOB NOT NULL,
  PRIMARY KEY(old_id)
) ENGINE=InnoDB, DEFAULT CHARSET=binary, MAX_ROWS=10000000, AVG_ROW_LENGTH=10240;

CREATE TABLE mw_categorylinks (
  cl_from INT UNSIGNED DEFAULT 0 NOT NULL,
  cl_to VARBINARY(255) DEFAULT '' NOT NULL,
  cl_sortkey VARBINARY(230) DEFAULT '' NOT NULL,
  cl_sortkey_prefix VARBINARY(255) DEFAULT '' NOT NULL,
  cl_timestamp TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  cl_collation VARBINARY(32) DEFAULT '' NOT NULL,
  cl_type ENUM('page', 'subcat', 'file') DEFAULT 'page' NOT NULL,
  INDEX cl_sortkey (cl_to, cl_type, cl_sortkey, cl_from),
  INDEX cl_timestamp (cl_to, cl_timestamp),
  PRIMARY KEY(cl_from, cl_to)
) ENGINE=InnoDB, DEFAULT CHARSET=binary;

CREATE TABLE mw_recentchanges (
  rc_id INT UNSIGNED AUTO_INCREMENT NOT NULL,
  rc_timestamp BINARY(14) NOT NULL,
  rc_actor BIGINT UNSIGNED NOT NULL,
  rc_namespace INT DEFAULT 0 NOT NULL,
  rc_title VARBINARY(255) DEFAULT '' NOT NULL,
  rc_minor TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  rc_bot TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  rc_new TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  rc_cur_id INT UNSIGNED DEFAULT 0 NOT NULL,
  rc_this_oldid INT UNSIGNED DEFAULT 0 NOT NULL,
  rc_type TINYINT UNSIGNED DEFAULT 0 NOT NULL,
  rc_ip VARBINARY(40) DEFAULT '' NOT NULL,
  rc_old_len INT DEFAULT NULL,
  rc_new_len INT DEFAULT NULL,
  rc_params BLOB DEFAULT NULL,
  INDEX rc_timestamp (rc_timestamp),
  INDEX rc_namespace_title_timestamp (rc_namespace, rc_title, rc_timestamp),
  PRIMARY KEY(rc_id)
) ENGINE=InnoDB, DEFAULT CHARSET=binary;

CREATE TABLE mw_watchlist (
  wl_id INT UNSIGNED AUTO_INCREMENT NOT NULL,
  wl_user INT UNSIGNED NOT NULL,
  wl_namespace INT DEFAULT 0 NOT NULL,
  wl_title VARBINARY(255) DEFAULT '' NOT NULL,
  wl_notificationtimestamp BINARY(14) DEFAULT NULL,
  UNIQUE INDEX wl_user (wl_user, wl_namespace, wl_title),
  INDEX wl_namespace_title (wl_namespace, wl_title),
  PRIMARY KEY(wl_id)
) ENGINE=InnoDB, DEFAULT CHARSET=binary;

INSERT INTO mw_text (old_text, old_flags) VALUES ('Main page text', 'utf-8'), (X'1F8B0800000000000003', 'gzip');
INSERT INTO mw_page (page_namespace, page_title, page_random, page_touched, page_latest, page_len, page_content_model)
  VALUES (0, 'Main_Page', 0.123456789, '20240101000000', 1, 14, 'wikitext'), (14, 'Cats', 0.5, '20240101000001', 2, 10, 'wikitext');
INSERT INTO mw_revision (rev_page, rev_timestamp, rev_len, rev_parent_id, rev_sha1)
  VALUES (1, '20240101000000', 14, 0, 'phoiac9h4m842xq45sp7s6u21eteeq1'), (2, '20240101000001', 10, 0, 'abc');
INSERT INTO mw_categorylinks (cl_from, cl_to, cl_sortkey, cl_timestamp, cl_type) VALUES (1, 'Cats', 'MAIN PAGE', '2024-01-01 00:00:00', 'page');
INSERT INTO mw_recentchanges (rc_timestamp, rc_actor, rc_title, rc_new, rc_cur_id, rc_this_oldid, rc_ip, rc_params)
  VALUES ('20240101000000', 1, 'Main_Page', 1, 1, 1, '127.0.0.1', 'a:0:{}');
INSERT INTO mw_watchlist (wl_user, wl_namespace, wl_title) VALUES (1, 0, 'Main_Page'), (1, 1, 'Main_Page');

-- ---------------------------------------------------------------- upgrade 3 (update.php)
ALTER TABLE mw_page MODIFY page_touched BINARY(14) NOT NULL, MODIFY page_random DOUBLE PRECISION UNSIGNED NOT NULL;
ALTER TABLE mw_revision CHANGE rev_timestamp rev_timestamp BINARY(14) NOT NULL;
ALTER TABLE mw_recentchanges ADD rc_source VARBINARY(16) DEFAULT '' NOT NULL AFTER rc_type;
ALTER TABLE mw_recentchanges DROP INDEX rc_timestamp, ADD INDEX rc_timestamp (rc_timestamp), ADD INDEX rc_new_name_timestamp (rc_new, rc_namespace, rc_timestamp);
ALTER TABLE mw_categorylinks MODIFY cl_collation VARBINARY(32) DEFAULT '' NOT NULL;
ALTER TABLE mw_categorylinks ADD cl_target_id BIGINT UNSIGNED DEFAULT NULL;
ALTER TABLE mw_watchlist MODIFY wl_notificationtimestamp BINARY(14) NULL;
ALTER TABLE mw_text MODIFY old_flags TINYBLOB NOT NULL;
CREATE TABLE mw_watchlist_expiry (
  we_item INT UNSIGNED NOT NULL,
  we_expiry BINARY(14) NOT NULL,
  INDEX we_expiry (we_expiry),
  PRIMARY KEY(we_item)
) ENGINE=InnoDB, DEFAULT CHARSET=binary;
ALTER TABLE mw_revision DROP INDEX rev_actor_timestamp, ADD INDEX rev_actor_timestamp (rev_actor, rev_timestamp, rev_id);

UPDATE mw_page SET page_touched = '20240202000000', page_latest = 3, page_len = 20 WHERE page_title = 'Main_Page';
INSERT INTO mw_revision (rev_page, rev_timestamp, rev_minor_edit, rev_len, rev_parent_id, rev_sha1) VALUES (1, '20240202000000', 1, 20, 1, 'def');
INSERT INTO mw_recentchanges (rc_timestamp, rc_actor, rc_title, rc_cur_id, rc_this_oldid, rc_source, rc_old_len, rc_new_len)
  VALUES ('20240202000000', 2, 'Main_Page', 1, 3, 'mw.edit', 14, 20);
UPDATE mw_categorylinks SET cl_collation = 'uppercase', cl_target_id = 7 WHERE cl_from = 1;
INSERT INTO mw_watchlist_expiry VALUES (2, '20250101000000');
DELETE FROM mw_watchlist WHERE wl_namespace = 1;

-- ---------------------------------------------------------------- upgrade 4 (WordPress 6.x: utf8mb4, bigger keys)
ALTER TABLE wp_terms CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci;
ALTER TABLE wp_term_taxonomy MODIFY description longtext NOT NULL;
ALTER TABLE wp_postmeta MODIFY meta_key varchar(255) default NULL;
ALTER TABLE wp_options MODIFY autoload varchar(20) NOT NULL default 'yes';
UPDATE wp_options SET autoload = 'auto' WHERE autoload = 'yes' AND option_name <> 'cron';
ALTER TABLE wp_posts CHANGE COLUMN post_mime_type post_mime_type varchar(100) NOT NULL default '';
ALTER TABLE wp_comments MODIFY comment_type varchar(20) NOT NULL default 'comment';
ALTER TABLE wp_users ADD COLUMN spam tinyint(2) NOT NULL default '0', ADD COLUMN deleted tinyint(2) NOT NULL default '0';
RENAME TABLE wp_links TO wp_links_old;
CREATE TABLE wp_links (
  link_id bigint(20) unsigned NOT NULL auto_increment,
  link_url varchar(255) NOT NULL default '',
  link_name varchar(255) NOT NULL default '',
  link_image varchar(255) NOT NULL default '',
  link_visible varchar(20) NOT NULL default 'Y',
  link_updated datetime NOT NULL default '0000-00-00 00:00:00',
  PRIMARY KEY  (link_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;
INSERT INTO wp_links (link_id, link_url, link_name, link_visible, link_updated)
  SELECT link_id, link_url, link_name, link_visible, link_updated FROM wp_links_old;
DROP TABLE wp_links_old;
UPDATE wp_users SET spam = 1 WHERE user_login = 'editor';
DELETE FROM wp_comments WHERE comment_approved = 'spam';
INSERT INTO wp_posts (post_author, post_content, post_title, post_excerpt, to_ping, pinged, post_content_filtered, post_type, post_status)
  VALUES (1, '', 'Auto Draft', '', '', '', '', 'post', 'auto-draft');
UPDATE wp_posts SET post_modified = '2024-03-03 03:03:03' WHERE post_status = 'auto-draft';
DELETE FROM wp_posts WHERE post_status = 'auto-draft' AND post_author = 2;
UPDATE wp_options SET option_value = '57155' WHERE option_name = 'db_version';

-- ---------------------------------------------------------------- upgrade 5 (plugins: MariaDB syntax, type changes)
CREATE TABLE wp_plugin_flags (
  id int unsigned NOT NULL AUTO_INCREMENT,
  flags bit(8) NOT NULL DEFAULT b'00000001',
  status enum('new','active','retired') NOT NULL DEFAULT 'new',
  tags set('a','b','c') NOT NULL DEFAULT '',
  price_cents int NOT NULL DEFAULT 0,
  ratio decimal(6,3) NULL,
  opens time NOT NULL DEFAULT '0000-00-00 01:00:00.000',
  payload json NULL,
  updated timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  PRIMARY KEY (id)
) ENGINE=InnoDB `PAGE_COMPRESSED`='ON' DEFAULT CHARSET=utf8mb4;
INSERT INTO wp_plugin_flags (flags, status, tags, price_cents, ratio, payload, updated)
  VALUES (b'00000101', 'active', 'a,c', 1999, 1.2345, '{"k": [1, 2], "x": "y"}', '2024-01-01 00:00:00'),
         (b'11111111', 'new', '', 5, 2.5, NULL, '2024-01-02 00:00:00'),
         (b'00000000', 'retired', 'b', 120, NULL, '[true, null]', '2024-01-03 00:00:00');
ALTER TABLE wp_plugin_flags ADD COLUMN IF NOT EXISTS (note varchar(255) NULL, score int NOT NULL DEFAULT 7);
ALTER TABLE wp_plugin_flags ADD (hits int NOT NULL DEFAULT 0, INDEX hits_idx (hits));
ALTER TABLE wp_plugin_flags ALTER INDEX IF EXISTS hits_idx IGNORED;
ALTER TABLE wp_plugin_flags ALTER INDEX hits_idx NOT IGNORED;
CREATE INDEX status_idx ON wp_plugin_flags (status) WAIT 5;
ALTER TABLE wp_plugin_flags MODIFY flags TINYINT UNSIGNED NOT NULL DEFAULT 1;
ALTER TABLE wp_plugin_flags MODIFY status varchar(20) NOT NULL DEFAULT 'new';
ALTER TABLE wp_plugin_flags MODIFY tags varchar(50) NOT NULL DEFAULT '';
ALTER TABLE wp_plugin_flags MODIFY price_cents varchar(12) NOT NULL DEFAULT '0';
ALTER TABLE wp_plugin_flags MODIFY ratio int NULL;
INSERT INTO wp_plugin_flags (flags, status, tags, price_cents, ratio, note, hits) VALUES (3, 'beta', 'x,y', '42', 7, 'after', 1);
UPDATE wp_plugin_flags SET hits = hits + 1, score = score * 2 WHERE status <> 'retired';
ALTER TABLE wp_plugin_flags MODIFY status enum('new','active','retired','beta') NOT NULL DEFAULT 'new';
ALTER TABLE wp_plugin_flags CHANGE price_cents price_cents int unsigned NOT NULL DEFAULT 0;
ALTER TABLE wp_plugin_flags DROP COLUMN opens, DROP INDEX status_idx;
ALTER TABLE wp_wc_download_log DROP FOREIGN KEY fk_wp_wc_download_log_permission_id;
DELETE FROM wp_woocommerce_downloadable_product_permissions WHERE permission_id = 2;
ALTER TABLE wp_woocommerce_order_items ADD CONSTRAINT fk_items_order
  FOREIGN KEY IF NOT EXISTS (order_id) REFERENCES wp_wc_orders (id) ON DELETE CASCADE ON UPDATE CASCADE;
UPDATE wp_wc_orders SET id = 200 WHERE id = 100;
DELETE FROM wp_wc_orders WHERE id = 101;
DELETE FROM wp_plugin_flags WHERE id = 2;
