import type { Stack } from './stack.js';

/** The copy-pasteable block the demo prints once the stack is ready. */
export function demoInstructions(stack: Stack): string {
  const exports = Object.entries(stack.clientEnv)
    .map(([k, v]) => `export ${k}=${v}`)
    .join('\n');
  return `
iam4kube demo stack is ready (Ctrl-C to stop)
  Kubernetes API emulator  ${stack.kube.url}
  STS                      ${stack.stsEndpoint}${stack.sts ? ' (iam4kube STS emulator)' : ' (moto)'}
  metadata API             ${stack.metadataUrl}
  health / metrics         ${stack.auxUrl}/readyz  ${stack.auxUrl}/metrics

Paste this into another shell (it acts as the pod demo/app, whose IP is 127.0.0.1):

${exports}
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE

# which role do I have, and what credentials? (IMDSv2: token first)
TOKEN=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' ${stack.metadataUrl}/latest/api/token)
curl -s -H "X-aws-ec2-metadata-token: $TOKEN" ${stack.metadataUrl}/latest/meta-data/iam/security-credentials/

# a real AWS client: prints arn:aws:sts::123456789012:assumed-role/demo-role/demo@app
aws sts get-caller-identity --endpoint-url ${stack.stsEndpoint}

# change the role live with kubectl, then ask again
kubectl annotate serviceaccount -n demo app --overwrite iam.amazonaws.com/roleArn=arn:aws:iam::123456789012:role/other-role
aws sts get-caller-identity --endpoint-url ${stack.stsEndpoint}

# the pod demo/plain (127.0.0.2) has an unannotated ServiceAccount: 404
curl -s -o /dev/null -w '%{http_code}\\n' --interface 127.0.0.2 ${stack.metadataUrl}/latest/meta-data/iam/security-credentials/

kubectl get pods,serviceaccounts -n demo
kubectl get serviceaccount -n demo app -o yaml

`;
}
