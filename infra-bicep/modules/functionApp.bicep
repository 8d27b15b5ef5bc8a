// The Panaptico function app: a .NET isolated-worker app (FUNCTIONS_WORKER_RUNTIME=dotnet-isolated) whose
// remediation chains and gate holds are Durable Functions on the Azure Storage provider.
//
// Plan: Flex Consumption (FC1), not the Linux Consumption plan (Y1). Y1 on Linux takes no new features and is
// being retired; Flex deploys its package from a blob container with the app's managed identity (so the storage
// account keeps shared keys off, which Y1's content settings cannot), scales to zero, and runs Durable Functions on
// Azure Storage (its scale controller watches the task hub's control and work-item queues).
//
// On Flex the worker runtime and its version are not app settings: FUNCTIONS_WORKER_RUNTIME and
// FUNCTIONS_EXTENSION_VERSION are expressed as functionAppConfig.runtime, and the platform rejects them as settings.
// Every app setting below is one the code or the Functions host reads; README.md ("Settings") lists them with the
// optional ones, and tests/Panaptico.Infra.Tests checks both against the code.

@description('Azure region.')
param location string

@description('Flex Consumption plan name.')
param planName string

@description('Function app name (becomes <name>.azurewebsites.net).')
param appName string

@description('Storage account the Functions host, the Durable task hub and the app use (identity-based).')
param storageAccountName string

@description('URL of the blob container Flex Consumption deploys the app package from.')
param deploymentContainerUrl string

@description('Durable Functions task hub name: its queues, tables and lease container in the storage account.')
@minLength(3)
@maxLength(45)
param taskHubName string

@description('Memory per instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound on scale-out instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Application Insights connection string (not a secret: local auth is disabled on the component).')
param appInsightsConnectionString string

@description('Key Vault holding the bundle-signing key and the ledger checkpoint key secret.')
param keyVaultName string

@description('Key Vault URI holding the bundle-signing key.')
param keyVaultUri string

@description('Name of the bundle-signing key.')
param signingKeyName string

@description('Name of the Key Vault secret holding the ledger checkpoint key (PEM).')
param ledgerCheckpointSecretName string

@description('Six-field NCRONTAB schedule for the Heartbeat timer (its trigger reads %HeartbeatSchedule%).')
param heartbeatSchedule string

@description('Endpoint of the custom topic drift CloudEvents are published to.')
param driftTopicEndpoint string

@description('Entra ID tenant that issues tokens for the app.')
param entraTenantId string

@description('Client (application) id of the Entra ID app registration that protects the API.')
param entraClientId string

@description('Paths App Service Authentication lets through unauthenticated (they carry their own protection).')
param authExcludedPaths string[]

@description('Tags for every resource.')
param tags object

// The worker is built for net10.0 (Directory.Build.props), so the runtime is dotnet-isolated 10.0. Flex Consumption
// takes the version as 'major.minor' ('8.0', '9.0', '10.0'; `az functionapp list-flexconsumption-runtimes` lists
// them per region). An older version would start a worker that cannot load a net10.0 assembly; the infra tests check
// this value against the target framework.
var runtime = {
  name: 'dotnet-isolated'
  version: '10.0'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { tier: 'FlexConsumption', name: 'FC1' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  // System-assigned: one identity for host storage, the deployment package, Key Vault and telemetry. With it the
  // identity-based connections need only __accountName (no __credential / __clientId, which a user-assigned identity
  // would need).
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      runtime: runtime
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Identity-based storage, no connection string and no key: the Functions host (keys, timers, queue
        // triggers), the Durable task hub (its storage provider uses the AzureWebJobsStorage connection by default)
        // and the app's own clients all read this one setting.
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        // Overrides host.json's extensions.durableTask.hubName, so two deployments can share an account.
        { name: 'AzureFunctionsJobHost__extensions__durableTask__hubName', value: taskHubName }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
        // Who is calling comes from App Service Authentication's X-MS-CLIENT-PRINCIPAL header.
        { name: 'Auth__Mode', value: 'AppService' }
        { name: 'Signing__KeyVaultUri', value: keyVaultUri }
        { name: 'Signing__KeyName', value: signingKeyName }
        // Every instance must sign checkpoints with the same key: a Key Vault reference the platform resolves with
        // the app's identity (Key Vault Secrets User, roleAssignments.bicep). Until the secret exists the setting
        // holds the reference text and the app fails to start: see main.bicep for the first deployment.
        {
          name: 'Ledger__CheckpointKeyPem'
          value: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=${ledgerCheckpointSecretName})'
        }
        // Real accounts must enforce write-once evidence: sealing fails closed when they do not.
        { name: 'Evidence__RequireImmutability', value: 'true' }
        // %Setting% in trigger attributes is resolved by the Functions host from app settings, not by the worker:
        // the worker's own defaults do not reach it, so every such setting is set here.
        { name: 'HeartbeatSchedule', value: heartbeatSchedule }
        { name: 'ViolationScanSchedule', value: '0 * * * * *' }
        { name: 'DriftSweepSchedule', value: '0 * * * * *' }
        // Drift events go to the custom topic (published with the app's identity); its subscription delivers them
        // back to ResourceEvents, so the same function consumes them here and standalone.
        { name: 'Drift__EventGrid__TopicEndpoint', value: driftTopicEndpoint }
      ]
    }
  }
}

// Deployments go through Entra ID (the deployment container); publishing with basic credentials stays off.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: { allow: false }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: { allow: false }
}

// App Service Authentication in front of every request: unauthenticated callers get 401 before the worker runs,
// and the worker trusts the X-MS-CLIENT-PRINCIPAL header only because this layer sets it.
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true, runtimeVersion: '~1' }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: authExcludedPaths
    }
    httpSettings: {
      requireHttps: true
      forwardProxy: { convention: 'NoProxy' }
    }
    login: {
      tokenStore: { enabled: false }
      preserveUrlFragmentsForLogins: false
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          openIdIssuer: '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0'
          clientId: entraClientId
        }
        validation: {
          allowedAudiences: ['api://${entraClientId}', entraClientId]
        }
      }
    }
  }
}

output appName string = app.name
output defaultHostName string = app.properties.defaultHostName
