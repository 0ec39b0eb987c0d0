//! The tenant itself: its details and usage, and its name.

use super::*;

impl AccountService {
    pub async fn tenant(&self, principal: Principal) -> Result<TenantDetailView, AccountError> {
        let tenant = self.tenant_of(principal.tenant).await?;
        let plan = self.plans.effective(&tenant, self.clock.now());
        let period = Period::of(self.clock.now());
        let scored_jobs = self.usage.scored_jobs(tenant.id, &period).await?;
        Ok(TenantDetailView {
            tenant: (&tenant).into(),
            usage: UsageView {
                period,
                scored_jobs,
                limit: plan.monthly_scored_jobs,
            },
            limits: plan.into(),
        })
    }

    pub async fn rename_tenant(
        &self,
        principal: Principal,
        req: RenameTenantRequest,
    ) -> Result<TenantView, AccountError> {
        self.admin(principal).await?;
        let name = TenantName::parse(&req.name).map_err(|e| AccountError::invalid("name", e))?;
        let tenant = self
            .accounts
            .rename_tenant(principal.tenant, &name)
            .await?
            .ok_or(AccountError::NotFound)?;
        Ok((&tenant).into())
    }
}
