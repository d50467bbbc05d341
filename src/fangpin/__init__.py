"""fangpin — 防返贫监测帮扶平台 (monitoring and assistance platform)."""
