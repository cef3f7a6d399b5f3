"""The identifiers of the offline world: moto's account and region, the local Connect instance and flow.

Kept free of imports so the light commands (``render``, ``validate``) can use them cheaply.
"""

LOCAL_REGION = "us-east-1"
LOCAL_ACCOUNT_ID = "123456789012"  # moto's default account
LOCAL_INSTANCE_ID = "11111111-2222-3333-4444-555555555555"  # the Makefile's CONNECT_INSTANCE_ID default
LOCAL_CONTACT_FLOW_ID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
# The emulator has no API quota unless one is configured, so offline deployments are given a budget
# (connectRequestsPerSecond) well above cdk.json's 2 (Connect's real default): runs drain in seconds.
LOCAL_CONNECT_REQUESTS_PER_SECOND = 200
