"""pz-emulator driven by boto3, AWS's Python SDK, which parses every response against AWS's own service
model: if the emulator's wire format drifted from Personalize's, these calls would fail to parse."""

import datetime
import time

import pytest
from botocore.exceptions import ClientError

from conftest import boto3_client_with_read_timeout, control, make_client

SOLUTION = "arn:aws:personalize:us-east-1:111122223333:solution/home-recs"
V1 = SOLUTION + "/v1"
V2 = SOLUTION + "/v2"
LATEST = SOLUTION + "/$LATEST"
HOME = "arn:aws:personalize:us-east-1:111122223333:campaign/home"


def wait_for(client, arn, done, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        campaign = client.describe_campaign(campaignArn=arn)["campaign"]
        if done(campaign):
            return campaign
        assert time.monotonic() < deadline, campaign
        time.sleep(0.1)


def test_describe_parses_as_the_service_model_says(client):
    campaign = client.describe_campaign(campaignArn=HOME)["campaign"]
    assert campaign["name"] == "home"
    assert campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == V1
    assert campaign["minProvisionedTPS"] == 2
    assert campaign["campaignConfig"]["itemExplorationConfig"] == {
        "explorationWeight": "0.3",
        "explorationItemAgeCutOff": "30",
    }
    assert isinstance(campaign["creationDateTime"], datetime.datetime)
    assert "latestCampaignUpdate" not in campaign


def test_create_then_active(client):
    arn = client.create_campaign(
        name="web",
        solutionVersionArn=V2,
        minProvisionedTPS=3,
        tags=[{"tagKey": "team", "tagValue": "web"}],
    )["campaignArn"]
    assert arn == "arn:aws:personalize:us-east-1:111122223333:campaign/web"
    statuses = set()
    campaign = wait_for(client, arn, lambda c: statuses.add(c["status"]) or c["status"] == "ACTIVE")
    assert statuses <= {"CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"}
    assert "CREATE PENDING" in statuses or "CREATE IN_PROGRESS" in statuses
    assert campaign["minProvisionedTPS"] == 3
    tags = client.list_tags_for_resource(resourceArn=arn)["tags"]
    assert tags == [{"tagKey": "team", "tagValue": "web"}]


def test_update_lifecycle_and_in_use(client):
    client.update_campaign(campaignArn=HOME, minProvisionedTPS=4)
    during = client.describe_campaign(campaignArn=HOME)["campaign"]
    assert during["minProvisionedTPS"] == 2
    assert during["latestCampaignUpdate"]["minProvisionedTPS"] == 4
    assert during["latestCampaignUpdate"]["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.update_campaign(campaignArn=HOME, minProvisionedTPS=5)
    after = wait_for(client, HOME, lambda c: c["latestCampaignUpdate"]["status"] == "ACTIVE")
    assert after["minProvisionedTPS"] == 4
    # No campaignConfig was sent: the stored one is kept.
    assert after["campaignConfig"]["enableMetadataWithRecommendations"] is True


def test_a_sent_config_replaces_the_stored_one(client):
    client.update_campaign(campaignArn=HOME, campaignConfig={"rankingInfluence": {"FRESHNESS": 0.5}})
    control(client.meta.endpoint_url, "finish")
    config = client.describe_campaign(campaignArn=HOME)["campaign"]["campaignConfig"]
    assert config == {"rankingInfluence": {"FRESHNESS": 0.5}}


def test_latest_requires_sync_and_resolves(client):
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_campaign(campaignArn=HOME, solutionVersionArn=LATEST)
    client.update_campaign(
        campaignArn=HOME,
        solutionVersionArn=LATEST,
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )
    control(client.meta.endpoint_url, "finish")
    assert client.describe_campaign(campaignArn=HOME)["campaign"]["solutionVersionArn"] == V2
    solution = client.describe_solution(solutionArn=SOLUTION)["solution"]
    assert solution["latestSolutionVersion"]["solutionVersionArn"] == V2
    version = client.describe_solution_version(solutionVersionArn=V1)["solutionVersion"]
    assert version["status"] == "ACTIVE"


def test_forced_failure_reports_the_reason(client):
    control(client.meta.endpoint_url, "fail-next-update", {"campaignArn": HOME, "reason": "Out of capacity"})
    client.update_campaign(campaignArn=HOME, minProvisionedTPS=8)
    control(client.meta.endpoint_url, "finish")
    campaign = client.describe_campaign(campaignArn=HOME)["campaign"]
    assert campaign["latestCampaignUpdate"]["status"] == "CREATE FAILED"
    assert campaign["latestCampaignUpdate"]["failureReason"] == "Out of capacity"
    assert campaign["minProvisionedTPS"] == 2


def test_errors_are_modelled_exceptions(client):
    with pytest.raises(client.exceptions.ResourceNotFoundException) as missing:
        client.describe_campaign(campaignArn="arn:aws:personalize:us-east-1:111122223333:campaign/nope")
    assert "campaign/nope" in missing.value.response["Error"]["Message"]
    assert missing.value.response["ResponseMetadata"]["RequestId"]
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_campaign(name="home", solutionVersionArn=V1)
    with pytest.raises(client.exceptions.InvalidInputException) as invalid:
        client.create_campaign(name="-bad", solutionVersionArn="arn:aws:personalize:x:y:solution/s/v", minProvisionedTPS=1)
    assert invalid.value.response["Error"]["Message"].startswith("1 validation error detected: Value '-bad' at 'name'")
    with pytest.raises(client.exceptions.InvalidNextTokenException):
        client.list_campaigns(nextToken="garbage")
    with pytest.raises(client.exceptions.TooManyTagsException):
        client.tag_resource(resourceArn=HOME, tags=[{"tagKey": f"k{i}", "tagValue": "v"} for i in range(50)])


def test_pagination(client):
    for index in range(5):
        client.create_campaign(name=f"c{index}", solutionVersionArn=V1)
    pages = list(client.get_paginator("list_campaigns").paginate(PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    names = [c["name"] for page in pages for c in page["campaigns"]]
    assert sorted(names) == ["c0", "c1", "c2", "c3", "c4", "home"]
    versions = list(client.get_paginator("list_solution_versions").paginate(solutionArn=SOLUTION, PaginationConfig={"PageSize": 1}))
    assert [v["solutionVersions"][0]["solutionVersionArn"] for v in versions] == [V2, V1]
    only_trending = client.list_campaigns(solutionArn="arn:aws:personalize:us-east-1:111122223333:solution/trending")
    assert only_trending["campaigns"] == []


def test_tags(client):
    client.tag_resource(resourceArn=HOME, tags=[{"tagKey": "owner", "tagValue": "ml"}])
    client.untag_resource(resourceArn=HOME, tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=HOME)["tags"] == [{"tagKey": "owner", "tagValue": "ml"}]


def test_delete_goes_through_delete_pending(client):
    client.delete_campaign(campaignArn=HOME)
    assert client.describe_campaign(campaignArn=HOME)["campaign"]["status"] in ("DELETE PENDING", "DELETE IN_PROGRESS")
    control(client.meta.endpoint_url, "finish")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_campaign(campaignArn=HOME)


def test_throttling_fault_is_retried_by_botocore(emulator):
    control(emulator, "faults", {"operation": "DescribeCampaign", "count": 2, "kind": "throttling"})
    retrying = make_client(emulator, attempts=3)
    assert retrying.describe_campaign(campaignArn=HOME)["campaign"]["name"] == "home"
    log = control(emulator, "requests", method="GET")
    assert [call["error"] for call in log] == ["ThrottlingException", "ThrottlingException", None]
    control(emulator, "faults", {"operation": "*", "kind": "error", "code": "LimitExceededException", "message": "quota"})
    with pytest.raises(ClientError) as limited:
        make_client(emulator).create_campaign(name="x", solutionVersionArn=V1)
    assert limited.value.response["Error"]["Code"] == "LimitExceededException"


def test_requests_must_be_signed_and_well_formed(emulator):
    import json
    import urllib.error
    import urllib.request

    def post(headers, body=b"{}"):
        request = urllib.request.Request(emulator + "/", data=body, method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    target = {"X-Amz-Target": "AmazonPersonalize.DescribeCampaign", "Content-Type": "application/x-amz-json-1.1"}
    status, body = post(target, json.dumps({"campaignArn": HOME}).encode())
    assert (status, body["__type"]) == (403, "MissingAuthenticationTokenException")
    signed = dict(target, Authorization="AWS4-HMAC-SHA256 Credential=AKID/20261127/us-east-1/personalize/aws4_request")
    status, body = post(signed, json.dumps({"campaignArn": HOME}).encode())
    assert status == 200 and body["campaign"]["name"] == "home"
    status, body = post(dict(signed, **{"X-Amz-Target": "AmazonPersonalize.CreateSolution"}))
    assert body["__type"] == "UnknownOperationException"
    status, body = post(signed, b"{not json")
    assert (status, body["__type"]) == (400, "SerializationException")


def test_control_api(emulator):
    assert control(emulator, "health", method="GET") == {"ok": True}
    client = make_client(emulator)
    client.update_campaign(campaignArn=HOME, minProvisionedTPS=3)
    state = control(emulator, "state", method="GET")
    assert state["campaigns"][HOME]["latestCampaignUpdate"]["minProvisionedTPS"] == 3
    control(emulator, "faults", {"operation": "UpdateCampaign", "kind": "delay", "millis": 10, "count": 1})
    assert control(emulator, "faults", method="GET")[0]["kind"] == "delay"
    control(emulator, "faults", method="DELETE")
    assert control(emulator, "faults", method="GET") == []
    control(emulator, "reset")
    assert control(emulator, "requests", method="GET") == []
    assert client.describe_campaign(campaignArn=HOME)["campaign"]["minProvisionedTPS"] == 2


def test_unknown_statuses_reach_the_client_as_they_are(emulator):
    client = make_client(emulator)
    client.update_campaign(campaignArn=HOME, minProvisionedTPS=3)
    control(emulator, "set-status", {"campaignArn": HOME, "status": "UPDATE IN_PROGRESS", "target": "latestCampaignUpdate"})
    campaign = client.describe_campaign(campaignArn=HOME)["campaign"]
    assert campaign["latestCampaignUpdate"]["status"] == "UPDATE IN_PROGRESS"
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.update_campaign(campaignArn=HOME, minProvisionedTPS=4)


def test_stale_reads_answer_as_before_the_write(emulator):
    client = make_client(emulator)
    control(emulator, "stale-reads", {"count": 2})
    client.update_campaign(campaignArn=HOME, minProvisionedTPS=5)
    for _ in range(2):
        assert "latestCampaignUpdate" not in client.describe_campaign(campaignArn=HOME)["campaign"]
    update = client.describe_campaign(campaignArn=HOME)["campaign"]["latestCampaignUpdate"]
    assert update["minProvisionedTPS"] == 5
    arn = client.create_campaign(name="web", solutionVersionArn=V2)["campaignArn"]
    with pytest.raises(ClientError) as raised:
        client.describe_campaign(campaignArn=arn)
    assert raised.value.response["Error"]["Code"] == "ResourceNotFoundException"
    control(emulator, "stale-reads", {"count": 0})
    assert client.describe_campaign(campaignArn=arn)["campaign"]["name"] == "web"


def test_a_late_answer_makes_botocore_retry_a_write_that_landed(emulator):
    control(emulator, "faults", {"operation": "CreateCampaign", "count": 1, "kind": "late-answer", "millis": 1500})
    client = boto3_client_with_read_timeout(emulator, 0.5)
    with pytest.raises(ClientError) as raised:
        client.create_campaign(name="web", solutionVersionArn=V2)
    assert raised.value.response["Error"]["Code"] == "ResourceAlreadyExistsException"
    creates = [call for call in control(emulator, "requests", method="GET") if call["operation"] == "CreateCampaign"]
    assert [call["error"] for call in creates] == [None, "ResourceAlreadyExistsException"]


def test_tag_resource_refuses_more_than_fifty_tags_after_the_merge(client):
    tags = [{"tagKey": f"k{n}", "tagValue": "v"} for n in range(49)]
    client.tag_resource(resourceArn=HOME, tags=tags)
    with pytest.raises(client.exceptions.TooManyTagsException):
        client.tag_resource(resourceArn=HOME, tags=[{"tagKey": "one-more", "tagValue": "v"}])


def test_list_campaigns_answers_for_the_signed_region(emulator):
    other = make_client(emulator, region="eu-west-1")
    assert other.list_campaigns()["campaigns"] == []
    assert "home" in [c["name"] for c in make_client(emulator).list_campaigns()["campaigns"]]


MODELS = "arn:aws:personalize:us-east-1:111122223333:solution/models"


def test_solution_versions_report_training_and_metrics(client):
    trained = client.describe_solution_version(solutionVersionArn=MODELS + "/m1")["solutionVersion"]
    assert (trained["status"], trained["trainingMode"], trained["trainingHours"]) == ("ACTIVE", "FULL", 2.5)
    assert isinstance(trained["creationDateTime"], datetime.datetime)
    assert "metrics" not in trained
    training = client.describe_solution_version(solutionVersionArn=MODELS + "/m2")["solutionVersion"]
    assert (training["status"], training["trainingMode"]) == ("CREATE IN_PROGRESS", "UPDATE")
    failed = client.describe_solution_version(solutionVersionArn=MODELS + "/m3")["solutionVersion"]
    assert (failed["status"], failed["failureReason"]) == ("CREATE FAILED", "Not enough interactions")

    metrics = client.get_solution_metrics(solutionVersionArn=MODELS + "/m1")
    assert metrics["solutionVersionArn"] == MODELS + "/m1"
    assert metrics["metrics"] == {"coverage": 0.21, "precision_at_25": 0.041}
    # A version still training has no metrics yet; one that does not exist is not found.
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.get_solution_metrics(solutionVersionArn=MODELS + "/m2")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_solution_metrics(solutionVersionArn=MODELS + "/nope")
    # A version that is not ACTIVE cannot be deployed.
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_campaign(name="early", solutionVersionArn=MODELS + "/m2")


SHOP = "arn:aws:personalize:us-east-1:111122223333:dataset-group/shop"
FOR_YOU = "arn:aws:personalize:us-east-1:111122223333:recommender/shop-for-you"
POPULAR = "arn:aws:personalize:us-east-1:111122223333:recommender/shop-popular"
RECIPE = "arn:aws:personalize:::recipe/aws-ecomm-"


def wait_for_recommender(client, arn, done, timeout=10.0):
    deadline = time.monotonic() + timeout
    statuses = []
    while True:
        recommender = client.describe_recommender(recommenderArn=arn)["recommender"]
        update = recommender.get("latestRecommenderUpdate", {})
        statuses.append((recommender["status"], update.get("status")))
        if done(recommender):
            return recommender, statuses
        assert time.monotonic() < deadline, recommender
        time.sleep(0.1)


def test_recommenders_describe_as_the_service_model_says(client):
    recommender = client.describe_recommender(recommenderArn=FOR_YOU)["recommender"]
    assert recommender["status"] == "ACTIVE"
    assert recommender["datasetGroupArn"] == SHOP
    assert recommender["recipeArn"] == RECIPE + "recommended-for-you"
    assert recommender["recommenderConfig"] == {
        "minRecommendationRequestsPerSecond": 2,
        "itemExplorationConfig": {"explorationWeight": "0.3"},
        "trainingDataConfig": {"excludedDatasetColumns": {"Items": ["PRICE"]}},
    }
    assert isinstance(recommender["modelMetrics"]["coverage"], float)
    assert "latestRecommenderUpdate" not in recommender
    assert client.describe_recommender(recommenderArn=POPULAR)["recommender"]["status"] == "INACTIVE"
    group = client.describe_dataset_group(datasetGroupArn=SHOP)["datasetGroup"]
    assert group["domain"] == "ECOMMERCE"


def test_create_recommender_checks_domain_recipe_and_goes_active(client):
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_recommender(name="vod", datasetGroupArn=SHOP, recipeArn="arn:aws:personalize:::recipe/aws-vod-top-picks")
    with pytest.raises(client.exceptions.InvalidInputException):
        client.create_recommender(
            name="custom",
            datasetGroupArn="arn:aws:personalize:us-east-1:111122223333:dataset-group/custom",
            recipeArn=RECIPE + "recommended-for-you",
        )
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_recommender(
            name="x", datasetGroupArn=SHOP + "-missing", recipeArn=RECIPE + "recommended-for-you"
        )
    with pytest.raises(client.exceptions.ResourceAlreadyExistsException):
        client.create_recommender(name="shop-for-you", datasetGroupArn=SHOP, recipeArn=RECIPE + "recommended-for-you")
    arn = client.create_recommender(
        name="bought-together",
        datasetGroupArn=SHOP,
        recipeArn=RECIPE + "frequently-bought-together",
        tags=[{"tagKey": "team", "tagValue": "shop"}],
    )["recommenderArn"]
    assert arn == "arn:aws:personalize:us-east-1:111122223333:recommender/bought-together"
    recommender, statuses = wait_for_recommender(client, arn, lambda r: r["status"] == "ACTIVE")
    assert {status for status, _ in statuses} <= {"CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"}
    assert recommender["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 1
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"tagKey": "team", "tagValue": "shop"}]


def test_update_recommender_replaces_the_config_once_active(client):
    with pytest.raises(client.exceptions.InvalidInputException):
        client.update_recommender(
            recommenderArn=FOR_YOU,
            recommenderConfig={"trainingDataConfig": {"excludedDatasetColumns": {"Clicks": ["X"]}}},
        )
    client.update_recommender(recommenderArn=FOR_YOU, recommenderConfig={"minRecommendationRequestsPerSecond": 5})
    during = client.describe_recommender(recommenderArn=FOR_YOU)["recommender"]
    assert during["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 2
    assert during["latestRecommenderUpdate"]["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.update_recommender(recommenderArn=FOR_YOU, recommenderConfig={"minRecommendationRequestsPerSecond": 6})
    after, _ = wait_for_recommender(client, FOR_YOU, lambda r: r["latestRecommenderUpdate"]["status"] == "ACTIVE")
    # The whole config is replaced: what was not sent is gone.
    assert after["recommenderConfig"] == {"minRecommendationRequestsPerSecond": 5}


def test_stop_and_start_go_through_their_statuses(client):
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.start_recommender(recommenderArn=FOR_YOU)
    client.stop_recommender(recommenderArn=FOR_YOU)
    with pytest.raises(client.exceptions.ResourceInUseException):
        client.update_recommender(recommenderArn=FOR_YOU, recommenderConfig={"minRecommendationRequestsPerSecond": 3})
    _, statuses = wait_for_recommender(client, FOR_YOU, lambda r: r["status"] == "INACTIVE")
    assert {status for status, _ in statuses} <= {"STOP PENDING", "STOP IN_PROGRESS", "INACTIVE"}
    client.start_recommender(recommenderArn=FOR_YOU)
    _, statuses = wait_for_recommender(client, FOR_YOU, lambda r: r["status"] == "ACTIVE")
    assert {status for status, _ in statuses} <= {"START PENDING", "START IN_PROGRESS", "ACTIVE"}


def test_recommender_faults_and_stale_reads(emulator):
    client = make_client(emulator)
    control(emulator, "fail-next-update", {"recommenderArn": FOR_YOU, "reason": "Not enough data"})
    client.update_recommender(recommenderArn=FOR_YOU, recommenderConfig={"minRecommendationRequestsPerSecond": 3})
    failed, _ = wait_for_recommender(client, FOR_YOU, lambda r: r["latestRecommenderUpdate"]["status"] == "CREATE FAILED")
    assert failed["latestRecommenderUpdate"]["failureReason"] == "Not enough data"
    assert failed["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 2
    control(emulator, "stale-reads", {"count": 1})
    client.stop_recommender(recommenderArn=FOR_YOU)
    assert client.describe_recommender(recommenderArn=FOR_YOU)["recommender"]["status"] == "ACTIVE"
    assert client.describe_recommender(recommenderArn=FOR_YOU)["recommender"]["status"] != "ACTIVE"


def test_list_recommenders_by_dataset_group_and_page(client):
    names = [r["name"] for r in client.list_recommenders(datasetGroupArn=SHOP)["recommenders"]]
    assert sorted(names) == ["shop-for-you", "shop-popular"]
    page = client.list_recommenders(maxResults=1)
    assert len(page["recommenders"]) == 1 and "nextToken" in page
    assert client.list_recommenders(datasetGroupArn=SHOP.replace("shop", "custom"))["recommenders"] == []


def test_delete_recommender_removes_it(client):
    client.delete_recommender(recommenderArn=POPULAR)
    wait = time.monotonic() + 10
    while time.monotonic() < wait:
        try:
            client.describe_recommender(recommenderArn=POPULAR)
        except client.exceptions.ResourceNotFoundException:
            return
        time.sleep(0.1)
    raise AssertionError("the recommender was not deleted")
