"""Traffic in and out: import (HAR, mitmproxy flows, test cassettes, collections) and export."""
