package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// SeedDemo creates the demo schema and fills it on first start (an
// existing, non-empty database is left alone). The data is generated
// deterministically: the same file every time.
func SeedDemo(ctx context.Context, db *sql.DB) error {
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'customers'`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit this is a no-op
	schema := []string{
		`CREATE TABLE customers (
			id INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			email TEXT NOT NULL UNIQUE,
			country TEXT NOT NULL,
			vip BOOLEAN NOT NULL DEFAULT 0,
			created_at TIMESTAMP NOT NULL)`,
		`CREATE TABLE products (
			id INTEGER PRIMARY KEY,
			name TEXT NOT NULL,
			category TEXT NOT NULL,
			price NUMERIC(10,2) NOT NULL CHECK (price >= 0),
			stock INTEGER NOT NULL)`,
		`CREATE TABLE orders (
			id INTEGER PRIMARY KEY,
			customer_id INTEGER NOT NULL REFERENCES customers(id),
			product_id INTEGER NOT NULL REFERENCES products(id),
			quantity INTEGER NOT NULL CHECK (quantity > 0),
			total NUMERIC(10,2) NOT NULL,
			ordered_at TIMESTAMP NOT NULL)`,
		`CREATE INDEX orders_customer ON orders(customer_id)`,
	}
	for _, q := range schema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	first := []string{"Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margaret", "Dennis"}
	last := []string{"Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson", "Hamilton", "Ritchie"}
	countries := []string{"GB", "US", "NL", "DE", "FR", "JP", "BR", "IN"}
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 100; i++ {
		f, l := first[i%len(first)], last[(i/len(first))%len(last)]
		_, err := tx.ExecContext(ctx, `INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)`,
			i, f+" "+l, fmt.Sprintf("%s.%s%d@example.com", strings.ToLower(f), strings.ToLower(l), i), countries[i%len(countries)],
			i%7 == 0, base.Add(time.Duration(i)*37*time.Hour).Format("2006-01-02 15:04:05"))
		if err != nil {
			return err
		}
	}
	categories := []string{"books", "games", "garden", "kitchen", "music"}
	for i := 1; i <= 50; i++ {
		price := float64(priceCents(i)) / 100
		_, err := tx.ExecContext(ctx, `INSERT INTO products VALUES (?, ?, ?, ?, ?)`,
			i, fmt.Sprintf("Product %02d", i), categories[i%len(categories)], price, (i*31)%200)
		if err != nil {
			return err
		}
	}
	for i := 1; i <= 500; i++ {
		cust, prod, qty := (i*13)%100+1, (i*17)%50+1, i%5+1
		// The total is computed in cents, so that it is the exact decimal.
		total := float64(priceCents(prod)*qty) / 100
		_, err := tx.ExecContext(ctx, `INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?)`,
			i, cust, prod, qty, total, base.Add(time.Duration(i)*11*time.Hour).Format("2006-01-02 15:04:05"))
		if err != nil {
			return err
		}
	}
	return tx.Commit()
}

// priceCents is the demo price of product i, in cents.
func priceCents(i int) int { return (i*7919)%9000 + 99 }
