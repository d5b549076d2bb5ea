//! Request: the complete write calls a decision needs, built from the file's values and, for everything
//! the file does not manage, the live values.

use super::compare::Comparable;
use crate::live::{CreateCampaignRequest, ServingConfig, UpdateCampaignRequest};
use crate::spec::CampaignSpec;

/// The complete UpdateCampaign: desired values for managed fields, `base` (what live serves, or will serve
/// after the in-flight update) for the rest. `enableMetadataWithRecommendations` is always sent, because a
/// version change can otherwise turn it off.
pub(crate) fn update_request(
    arn: &str,
    desired: &Comparable,
    base_tps: Option<i32>,
    base_config: Option<&ServingConfig>,
) -> UpdateCampaignRequest {
    let base = base_config.cloned().unwrap_or_default();
    let exploration = desired.exploration.clone().or(base.item_exploration_config);
    UpdateCampaignRequest {
        campaign_arn: arn.to_string(),
        solution_version_arn: desired.solution_version_arn.clone(),
        min_provisioned_tps: desired.min_provisioned_tps.or(base_tps).unwrap_or(1),
        config: ServingConfig {
            item_exploration_config: exploration,
            enable_metadata_with_recommendations: Some(
                desired.metadata.or(base.enable_metadata_with_recommendations).unwrap_or(false),
            ),
            sync_with_latest_solution_version: Some(desired.sync),
            ranking_influence: desired.ranking.clone().or(base.ranking_influence),
        },
    }
}

pub(crate) fn create_request(spec: &CampaignSpec, desired: &Comparable) -> CreateCampaignRequest {
    let config = spec.campaign_config.as_ref().map(|_| ServingConfig {
        item_exploration_config: desired.exploration.clone(),
        enable_metadata_with_recommendations: desired.metadata,
        sync_with_latest_solution_version: Some(desired.sync),
        ranking_influence: desired.ranking.clone(),
    });
    // `$LATEST` needs the sync flag even when the file has no campaignConfig section (validate requires
    // it there anyway).
    let config = config.or_else(|| {
        desired.sync.then(|| ServingConfig {
            sync_with_latest_solution_version: Some(true),
            ..ServingConfig::default()
        })
    });
    CreateCampaignRequest {
        name: spec.name.clone(),
        solution_version_arn: spec.solution_version_arn.clone(),
        min_provisioned_tps: spec.min_provisioned_tps,
        config,
        tags: spec.tags.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    const V1: &str = "arn:aws:personalize:us-east-1:111122223333:solution/s/v1";

    fn desired() -> Comparable {
        Comparable {
            solution_version_arn: V1.into(),
            sync: false,
            min_provisioned_tps: Some(4),
            metadata: None,
            exploration: None,
            ranking: None,
            tags: None,
        }
    }

    #[test]
    fn an_update_keeps_every_unmanaged_live_value() {
        let live = ServingConfig {
            item_exploration_config: Some(BTreeMap::from([("explorationWeight".into(), "0.7".into())])),
            enable_metadata_with_recommendations: Some(true),
            sync_with_latest_solution_version: Some(false),
            ranking_influence: Some(BTreeMap::from([("FRESHNESS".into(), 0.2)])),
        };
        let request = update_request("arn:c", &desired(), Some(1), Some(&live));
        assert_eq!(request.min_provisioned_tps, 4);
        assert_eq!(request.config, live);
    }

    #[test]
    fn an_update_states_metadata_and_sync_even_when_live_has_no_config() {
        let mut wanted = desired();
        wanted.min_provisioned_tps = None;
        let request = update_request("arn:c", &wanted, Some(3), None);
        assert_eq!(request.min_provisioned_tps, 3, "live's TPS when the file leaves it out");
        assert_eq!(request.config.enable_metadata_with_recommendations, Some(false));
        assert_eq!(request.config.sync_with_latest_solution_version, Some(false));
        assert_eq!(request.config.item_exploration_config, None);
    }
}
