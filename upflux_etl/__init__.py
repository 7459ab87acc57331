"""UpFlux ETL: brings a hospital's ERP data in, proves it is right, and keeps it flowing."""
