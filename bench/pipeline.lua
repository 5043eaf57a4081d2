-- pipeline.lua: wrk script sending 16 pipelined GET / requests per batch (make bench)
init = function(args)
   local r = {}
   for i = 1, 16 do
      r[i] = wrk.format(nil, "/")
   end
   req = table.concat(r)
end

request = function()
   return req
end
