-- wrk script: every request POSTs the JPEG named by RINGTAIL_WRK_IMAGE to /invocations.
local path = os.getenv("RINGTAIL_WRK_IMAGE")
local file = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
wrk.method = "POST"
wrk.path = "/invocations"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "image/jpeg"
