// The Panaptico function app: an ASP.NET Core app run by the Functions host as a custom handler (the isolated
// worker packages are not available to this project, see shared/ARCHITECTURE.md).
//
// Plan: Flex Consumption (FC1), not the Linux Consumption plan (Y1). Y1 on Linux takes no new features and is
// being retired; Flex Consumption supports custom handlers, deploys its package from a blob container using the
// app's managed identity (so the storage account can keep shared keys off, which Y1's content settings cannot),
// and scales to zero the same way. On Flex the worker runtime is not an app setting: FUNCTIONS_WORKER_RUNTIME=custom
// is expressed as functionAppConfig.runtime.name 'custom', and the platform rejects the app setting itself.

@description('Azure region.')
param location string

@description('Flex Consumption plan name.')
param planName string

@description('Function app name (becomes <name>.azurewebsites.net).')
param appName string

@description('Storage account the Functions host and the app use (identity-based).')
param storageAccountName string

@description('URL of the blob container Flex Consumption deploys the app package from.')
param deploymentContainerUrl string

@description('Version string Flex Consumption expects for the custom handler runtime.')
param customHandlerRuntimeVersion string

@description('Memory per instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int

@description('Upper bound on scale-out instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Application Insights connection string (not a secret: local auth is disabled on the component).')
param appInsightsConnectionString string

@description('Key Vault URI holding the bundle-signing key.')
param keyVaultUri string

@description('Name of the bundle-signing key.')
param signingKeyName string

@description('Six-field NCRONTAB schedule for the Heartbeat timer (its function.json reads %HeartbeatSchedule%).')
param heartbeatSchedule string

@description('Entra ID tenant that issues tokens for the app.')
param entraTenantId string

@description('Client (application) id of the Entra ID app registration that protects the API.')
param entraClientId string

@description('Paths App Service Authentication lets through unauthenticated (they carry their own protection).')
param authExcludedPaths string[]

@description('Tags for every resource.')
param tags object

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
      runtime: { name: 'custom', version: customHandlerRuntimeVersion }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: [
        // Identity-based host storage: no connection string, no key. The app reads the same setting.
        { name: 'AzureWebJobsStorage__accountName', value: storageAccountName }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsightsConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'Authorization=AAD' }
        // Who is calling comes from App Service Authentication's X-MS-CLIENT-PRINCIPAL header.
        { name: 'Auth__Mode', value: 'AppService' }
        { name: 'Signing__KeyVaultUri', value: keyVaultUri }
        { name: 'Signing__KeyName', value: signingKeyName }
        // Real accounts must enforce write-once evidence: sealing fails closed when they do not.
        { name: 'Evidence__RequireImmutability', value: 'true' }
        { name: 'HeartbeatSchedule', value: heartbeatSchedule }
        { name: 'ApprovalExpirySchedule', value: '0 * * * * *' }
        { name: 'ViolationScanSchedule', value: '0 * * * * *' }
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

// App Service Authentication in front of every request: unauthenticated callers get 401 before the handler runs,
// and the handler trusts the X-MS-CLIENT-PRINCIPAL header only because this layer sets it.
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
