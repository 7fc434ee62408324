"""The report's sections: each builder computes its tables and figures from its inputs."""
