// Panaptico in one resource group: storage (evidence vault, rollback vault, bundles, Functions host state), the
// function app (custom handler on Flex Consumption), Key Vault with the bundle-signing key, monitoring, the app's
// role assignments and, once the code is deployed, Event Grid delivery to ResourceEvents.
//
// First deployment: deploy with deployEventSubscriptions=false, publish the app, then deploy again with true.
//   az deployment group create -g <rg> -f infra-bicep/main.bicep -p entraClientId=<app-registration-client-id>

targetScope = 'resourceGroup'

@description('Azure region for every regional resource. Must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Short lowercase prefix in every resource name.')
@minLength(2)
@maxLength(10)
param namePrefix string = 'panaptico'

@description('Tags applied to every resource.')
param tags object = {
  application: 'panaptico'
}

@description('Storage redundancy. Zone-redundant by default: the evidence vault is the product\'s proof.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param storageSku string = 'Standard_ZRS'

@description('Days each evidence blob version is immutable after it is written (2190 days is about six years).')
@minValue(1)
@maxValue(146000)
param evidenceRetentionDays int = 2190

@description('Days a pre-change snapshot stays in the rollback vault.')
@minValue(1)
param rollbackRetentionDays int = 30

@description('Days deleted blobs and containers stay recoverable.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteDays int = 14

@description('Key Vault SKU.')
@allowed(['standard', 'premium'])
param keyVaultSku string = 'standard'

@description('Name of the EC P-256 bundle-signing key.')
param signingKeyName string = 'bundle-signing'

@description('Rotate the signing key this long after each version is created (ISO 8601 duration).')
param signingKeyRotateAfter string = 'P1Y'

@description('Each signing key version expires (stops signing) this long after creation (ISO 8601 duration).')
param signingKeyLifetime string = 'P2Y'

@description('Entra ID tenant whose tokens the app accepts.')
param entraTenantId string = tenant().tenantId

@description('Client (application) id of the Entra ID app registration that protects the API; its app roles are operator, approver, auditor and admin.')
@minLength(36)
@maxLength(36)
param entraClientId string

@description('Paths that skip App Service Authentication because they carry their own protection (the Event Grid webhook checks the Functions system key).')
param authExcludedPaths string[] = [
  '/runtime/webhooks/eventgrid'
]

@description('Six-field NCRONTAB schedule of the Heartbeat timer function.')
param heartbeatSchedule string = '0 */5 * * * *'

@description('Flex Consumption runtime version for the custom handler runtime.')
param customHandlerRuntimeVersion string = '1.0'

@description('Memory per function app instance, in MB.')
@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

@description('Upper bound on function app instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 90

@description('Create the Event Grid subscriptions to ResourceEvents. Leave false until the app (and so the function) is deployed: Event Grid validates the endpoint when the subscription is created.')
param deployEventSubscriptions bool = false

@description('With deployEventSubscriptions: also deliver Azure Resource Manager write/delete events of this resource group (an existing system topic on the group conflicts).')
param watchResourceGroup bool = true

@description('Name of the Event Grid-triggered function.')
param resourceEventsFunctionName string = 'ResourceEvents'

var token = uniqueString(subscription().id, resourceGroup().id, namePrefix)
var names = {
  storage: take(toLower('st${namePrefix}${token}'), 24)
  vault: take('kv-${namePrefix}-${token}', 24)
  plan: 'asp-${namePrefix}-${token}'
  app: 'func-${namePrefix}-${token}'
  workspace: 'log-${namePrefix}-${token}'
  appInsights: 'appi-${namePrefix}-${token}'
}
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    location: location
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionDays
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    location: location
    accountName: names.storage
    skuName: storageSku
    evidenceRetentionDays: evidenceRetentionDays
    rollbackRetentionDays: rollbackRetentionDays
    softDeleteRetentionDays: blobSoftDeleteDays
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    tags: tags
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'keyVault'
  params: {
    location: location
    vaultName: names.vault
    skuName: keyVaultSku
    signingKeyName: signingKeyName
    rotateAfter: signingKeyRotateAfter
    keyLifetime: signingKeyLifetime
    softDeleteRetentionDays: 90
    tags: tags
  }
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'functionApp'
  params: {
    location: location
    planName: names.plan
    appName: names.app
    storageAccountName: storage.outputs.accountName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    customHandlerRuntimeVersion: customHandlerRuntimeVersion
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.vaultUri
    signingKeyName: keyVault.outputs.signingKeyName
    heartbeatSchedule: heartbeatSchedule
    entraTenantId: entraTenantId
    entraClientId: entraClientId
    authExcludedPaths: authExcludedPaths
    tags: tags
  }
}

module roleAssignments 'modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  params: {
    functionAppName: names.app
    storageAccountName: names.storage
    vaultName: names.vault
    appInsightsName: names.appInsights
  }
  // Names are passed as known values (so what-if can predict the assignments); the order comes from here.
  dependsOn: [functionApp, storage, keyVault, monitoring]
}

module eventGrid 'modules/eventGrid.bicep' = if (deployEventSubscriptions) {
  name: 'eventGrid'
  params: {
    location: location
    storageAccountName: names.storage
    functionAppName: names.app
    functionName: resourceEventsFunctionName
    watchResourceGroup: watchResourceGroup
    deadLetterContainerName: deadLetterContainerName
    ignoredContainers: [deploymentContainerName, deadLetterContainerName]
    tags: tags
  }
  dependsOn: [functionApp, storage]
}

@description('Function app name.')
output functionAppName string = functionApp.outputs.appName

@description('Function app default host name.')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('Storage account name (AzureWebJobsStorage__accountName).')
output storageAccountName string = storage.outputs.accountName

@description('Key Vault URI holding the bundle-signing key.')
output keyVaultUri string = keyVault.outputs.vaultUri

@description('State of the evidence container\'s time-based retention policy (Unlocked until someone locks it).')
output evidenceRetentionPolicyState string = storage.outputs.evidenceRetentionState
