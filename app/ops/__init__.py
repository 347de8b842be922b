"""Running Mogi as a service: container start-up, health checks, backups, MNIST."""
