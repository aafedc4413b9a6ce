// Exits with status 1 as soon as it starts: a service that cannot start (for the supervisor's give-up test).
process.exit(1);
