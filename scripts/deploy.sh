#!/usr/bin/env bash
# Builds the login Lambda and deploys backend/template.yaml as one stack.
#   scripts/deploy.sh [STACK_NAME] [Key=Value template parameters...]
# Needs: an AWS account with credentials configured, the AWS SAM CLI, and
# cargo-lambda (`pip install cargo-lambda`). ARCH=x86_64 builds for x86_64.
# The managed login's DomainPrefix is the stack's name unless given, and on a
# redeploy the one the stack has: shipped game builds sign in there, and a
# new prefix would replace the domain.
set -euo pipefail
cd "$(dirname "$0")/.."

stack=${1:-game-login}
shift || true
arch=${ARCH:-arm64}
case "$arch" in
  arm64) target_flag=--arm64 ;;
  x86_64) target_flag=--x86-64 ;;
  *) echo "ARCH must be arm64 or x86_64" >&2; exit 2 ;;
esac

domain=()
if [[ " $* " != *" DomainPrefix="* ]]; then
  deployed=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Parameters[?ParameterKey=='DomainPrefix'].ParameterValue" \
    --output text 2>/dev/null || true)
  domain=("DomainPrefix=${deployed:-${stack,,}}")
fi

cargo lambda build --release "$target_flag" -p cognito_login_backend --no-default-features --features lambda \
  --bin cognito-login-lambda
sam deploy \
  --template-file backend/template.yaml \
  --stack-name "$stack" \
  --capabilities CAPABILITY_IAM \
  --resolve-s3 \
  --no-fail-on-empty-changeset \
  --parameter-overrides "Architecture=$arch" "${domain[@]}" "$@"
sam list stack-outputs --stack-name "$stack" --output table
