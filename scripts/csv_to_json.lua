-- CSV to JSON: read CSV (a header row, then records) and write one JSON
-- object per line (NDJSON). Fields that look like numbers become numbers.
--
-- Run:  go run ./cmd/streamctl run scripts/csv_to_json.lua scripts/data/people.csv
--   or: go run ./cmd/streamctl run scripts/csv_to_json.lua < scripts/data/people.csv

local input
if args[1] then
  input = file{path = args[1], codec = "csv"}
else
  input = stdin{codec = "csv"}
end

handle(input, {sink = stdout{codec = "json"}}, function(row)
  for field, text in pairs(row) do
    local n = tonumber(text)
    if n then row[field] = n end
  end
  return row
end)
