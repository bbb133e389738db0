/// The Python side of `MotoServer`: starts moto's real server app (werkzeug, `ThreadedMotoServer`) and a small
/// header-echo server on free ports of 127.0.0.1, creates IAM identities with SigV4 enforced from the start (setup
/// uses an administrator's key, never a switch that turns authentication off), prints one JSON line with the ports
/// and keys, then serves commands (one JSON line each) from standard input until it closes.
enum MotoHelperScript {
    static let source = #"""
import json, logging, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
try:
    import boto3
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.server import ThreadedMotoServer
except Exception as e:
    print(json.dumps({"error": "moto[server] is not importable by python3 (pip install 'moto[server]'): %r" % (e,)}), flush=True)
    sys.exit(1)
logging.getLogger("werkzeug").setLevel(logging.ERROR)

# Requests to /hold/<name> wait until the command `release` names them (or 60 s, a hang guard), so a test can tell
# that its client gave up while the server still held the request. States: "held", then "released".
holds = {}
holds_lock = threading.Lock()

def hold(name):
    with holds_lock:
        entry = holds.setdefault(name, {"event": threading.Event(), "state": "held"})
        entry["state"] = "held"
    entry["event"].wait(60)

class Echo(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        status = 200
        if self.path.startswith("/hold/"):
            hold(self.path[len("/hold/"):])
        elif self.path.startswith("/status/"):
            status = int(self.path[len("/status/"):].split("/")[0])
        out = json.dumps({"headers": {k.lower(): v for k, v in self.headers.items()}, "body": body.decode()}).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)
        except OSError:
            pass  # the client gave up first
    do_GET = do_POST

echo = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
echo.daemon_threads = True
threading.Thread(target=echo.serve_forever, daemon=True).start()

# The same echo server over TLS, with a fresh self-signed certificate for 127.0.0.1 (the test's own CA bundle).
import datetime, ipaddress, shutil, ssl, tempfile
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
tls_key = ec.generate_private_key(ec.SECP256R1())
tls_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "warden-test")])
tls_now = datetime.datetime.now(datetime.timezone.utc)
tls_cert = (x509.CertificateBuilder().subject_name(tls_name).issuer_name(tls_name).public_key(tls_key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(tls_now - datetime.timedelta(minutes=5)).not_valid_after(tls_now + datetime.timedelta(days=1))
    .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
    .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    .sign(tls_key, hashes.SHA256()))
tls_dir = tempfile.mkdtemp(prefix="warden-tls-")
ca_file = os.path.join(tls_dir, "cert.pem")
key_file = os.path.join(tls_dir, "key.pem")
with open(ca_file, "wb") as f:
    f.write(tls_cert.public_bytes(serialization.Encoding.PEM))
with open(key_file, "wb") as f:
    f.write(tls_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
tls_context.load_cert_chain(ca_file, key_file)
tls = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
tls.daemon_threads = True
tls.socket = tls_context.wrap_socket(tls.socket, server_side=True)
threading.Thread(target=tls.serve_forever, daemon=True).start()

# Authentication is enforced from the fourth request on: the first three create the administrator (user, policy,
# key) whose key every later setup request is signed with.
settings.INITIAL_NO_AUTH_ACTION_COUNT = 3
ActionAuthenticatorMixin.request_count = 0
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
port = server.get_host_and_port()[1]
url = "http://127.0.0.1:%d" % port
def client(svc, key):
    return boto3.client(svc, region_name="us-east-1", endpoint_url=url,
                        aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
iam = client("iam", {"AccessKeyId": "setup", "SecretAccessKey": "setup"})
iam.create_user(UserName="admin")
iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps(everything))
admin = iam.create_access_key(UserName="admin")["AccessKey"]
read = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": [
    "ssm:GetParameter", "secretsmanager:GetSecretValue", "kms:Decrypt"], "Resource": "*"}]}
iam = client("iam", admin)
iam.create_user(UserName="warden")
iam.put_user_policy(UserName="warden", PolicyName="read", PolicyDocument=json.dumps(read))
user = iam.create_access_key(UserName="warden")["AccessKey"]
iam.create_user(UserName="nobody")
nobody = iam.create_access_key(UserName="nobody")["AccessKey"]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
role = iam.create_role(RoleName="warden-fn", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
iam.put_role_policy(RoleName="warden-fn", PolicyName="read", PolicyDocument=json.dumps(read))
ssm, sm = client("ssm", admin), client("secretsmanager", admin)
ssm.put_parameter(Name="/warden/warm-up", Value="x", Type="SecureString", Overwrite=True)
sm.create_secret(Name="warden/warm-up", SecretString="x")
temp = client("sts", admin).assume_role(RoleArn=role["Arn"], RoleSessionName="warden")["Credentials"]
keys = lambda k: {"accessKeyID": k["AccessKeyId"], "secretAccessKey": k["SecretAccessKey"], "sessionToken": k.get("SessionToken")}
print(json.dumps({"port": port, "echoPort": echo.server_address[1], "tlsPort": tls.server_address[1], "caFile": ca_file, "user": keys(user), "nobody": keys(nobody), "role": keys(temp)}), flush=True)

def put_secret(name, value):
    try:
        return sm.put_secret_value(SecretId=name, SecretString=value)["ARN"]
    except sm.exceptions.ResourceNotFoundException:
        return sm.create_secret(Name=name, SecretString=value)["ARN"]

for line in sys.stdin:
    cmd = json.loads(line)
    op = cmd["op"]
    try:
        result = None
        if op == "putParameter":
            ssm.put_parameter(Name=cmd["name"], Value=cmd["value"], Type=cmd.get("type", "SecureString"), Overwrite=True)
        elif op == "deleteParameter":
            ssm.delete_parameter(Name=cmd["name"])
        elif op == "putSecret":
            result = put_secret(cmd["name"], cmd["value"])
        elif op == "holdState":
            with holds_lock:
                result = holds.get(cmd["name"], {}).get("state", "absent")
        elif op == "release":
            with holds_lock:
                entry = holds.setdefault(cmd["name"], {"event": threading.Event(), "state": "released"})
                entry["state"] = "released"
            entry["event"].set()
        elif op == "stop":
            server.stop()
            server._server.server_close()
        elif op == "start":
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
            server.start()
        else:
            raise ValueError("unknown op " + op)
        print(json.dumps({"ok": True, "result": result}), flush=True)
    except Exception as e:
        print(json.dumps({"ok": False, "error": repr(e)}), flush=True)
shutil.rmtree(tls_dir, ignore_errors=True)
"""#
}
