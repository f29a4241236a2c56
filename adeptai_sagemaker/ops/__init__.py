"""Operating endpoints: deployment plans, scale-to-zero, cost models and bulk (batch) runs."""
