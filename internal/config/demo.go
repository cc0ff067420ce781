package config

// Demo user credentials, printed in the banner. Demo mode listens on
// loopback only.
const (
	DemoUser     = "demo"
	DemoPassword = "demo"
	DemoDatabase = "demo"
)

// Demo returns the configuration of demo mode: one embedded SQLite
// database "demo" stored at path, with the result cache on (its
// defaults), and one user demo/demo.
func Demo(path string) *Config {
	c := &Config{
		Demo: true,
		Databases: []Database{{
			Name: DemoDatabase,
			Kind: KindSQLite,
			Path: path,
			// Every write to the embedded database passes through Floe:
			// the cache's write tracking keeps it exact.
			Cache: &Cache{Enabled: true},
		}},
		Users: []User{{Name: DemoUser, Password: DemoPassword}},
	}
	c.ApplyDefaults()
	c.Log.Format = "text"
	return c
}
