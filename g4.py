import grpc, time, sys
ch=grpc.insecure_channel('127.0.0.1:58061')
h=ch.unary_unary('/grpc.health.v1.Health/Check', request_serializer=None, response_deserializer=None)
g=ch.unary_unary('/bar.v1.BarService/GetBar', request_serializer=None, response_deserializer=None)
t0=time.monotonic()
while time.monotonic()-t0<5:
    out=[]
    for f in (h,g):
        try: out.append(f(b'',timeout=0.5))
        except grpc.RpcError as e: out.append(e.code().name)
    print('%.2f'%(time.monotonic()-t0), out, flush=True); time.sleep(0.25)
