local i = 0
local key = os.getenv("KEY")
function request()
  i = i % 20 + 1
  return wrk.format("GET", "/api/v1/Orders?Filters.status=150&pageSize=100&page=" .. i, {Authorization = "Bearer " .. key})
end
