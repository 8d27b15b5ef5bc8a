// Panaptico in one resource group: storage (evidence vault, rollback vault, bundles, Functions host state and the
// Durable task hub), the function app (.NET isolated worker on Flex Consumption), Key Vault with the bundle-signing
// key and the ledger checkpoint key, monitoring, the app's role assignments and, once the code is deployed, Event
// Grid delivery to the ResourceEvents webhook.
//
// First deployment, in three steps (README.md, "Deploying to Azure"):
//   1. Infrastructure, with the checkpoint key (a P-256 key in PEM; only this first time):
//        openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out checkpoint.pem
//        az deployment group create -g <rg> -f infra-bicep/main.bicep \
//          -p entraClientId=<app-registration-client-id> ledgerCheckpointKeyPem="$(cat checkpoint.pem)"
//   2. Publish the app (dotnet publish, then `az functionapp deployment source config-zip` or the Flex
//      one-deploy): the ResourceEvents function and its key exist only from here on.
//   3. Event Grid: deploy again with -p deployEventSubscriptions=true (no key needed this time). Event Grid
//      validates the webhook when it creates a subscription, and the endpoint carries the function's key.

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

@description('Six-field NCRONTAB schedule of the Heartbeat timer function.')
param heartbeatSchedule string = '0 */5 * * * *'

@description('Durable Functions task hub (letters and digits, starting with a letter). Distinct per deployment that shares the storage account.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'panaptico'

@secure()
@description('PEM of the ECDSA P-256 key that signs ledger checkpoints, stored as a Key Vault secret. Give it on the first deployment; leave it empty later to keep the stored one.')
param ledgerCheckpointKeyPem string = ''

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

@description('Name of the HTTP function that receives Event Grid deliveries.')
param resourceEventsFunctionName string = 'ResourceEvents'

var token = uniqueString(subscription().id, resourceGroup().id, namePrefix)
var names = {
  storage: take(toLower('st${namePrefix}${token}'), 24)
  vault: take('kv-${namePrefix}-${token}', 24)
  plan: 'asp-${namePrefix}-${token}'
  app: 'func-${namePrefix}-${token}'
  workspace: 'log-${namePrefix}-${token}'
  appInsights: 'appi-${namePrefix}-${token}'
  driftTopic: 'evgt-drift-${namePrefix}-${token}'
}
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'
var ledgerCheckpointSecretName = 'ledger-checkpoint-key'

// ResourceEvents' route (its [HttpTrigger] says events/resources) under the host's /api prefix. App Service
// Authentication lets it through: Event Grid sends no Entra token, and the function key guards it instead.
var resourceEventsPath = '/api/events/resources'

// BotMessages' route: the Bot Framework sends its own JWT (not an Entra token for this app), which the function checks.
var botMessagesPath = '/api/messages'

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
    checkpointSecretName: ledgerCheckpointSecretName
    checkpointKeyPem: ledgerCheckpointKeyPem
    tags: tags
  }
}

module driftTopic 'modules/driftTopic.bicep' = {
  name: 'driftTopic'
  params: {
    location: location
    topicName: names.driftTopic
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
    taskHubName: taskHubName
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: keyVault.outputs.vaultName
    keyVaultUri: keyVault.outputs.vaultUri
    signingKeyName: keyVault.outputs.signingKeyName
    ledgerCheckpointSecretName: ledgerCheckpointSecretName
    heartbeatSchedule: heartbeatSchedule
    driftTopicEndpoint: driftTopic.outputs.endpoint
    entraTenantId: entraTenantId
    entraClientId: entraClientId
    authExcludedPaths: [resourceEventsPath, botMessagesPath]
    tags: tags
  }
}

module roleAssignments 'modules/roleAssignments.bicep' = {
  name: 'roleAssignments'
  params: {
    functionAppName: names.app
    storageAccountName: names.storage
    vaultName: names.vault
    signingKeyName: signingKeyName
    appInsightsName: names.appInsights
    driftTopicName: names.driftTopic
  }
  // Names are passed as known values (so what-if can predict the assignments); the order comes from here.
  dependsOn: [functionApp, storage, keyVault, monitoring, driftTopic]
}

module eventGrid 'modules/eventGrid.bicep' = if (deployEventSubscriptions) {
  name: 'eventGrid'
  params: {
    location: location
    storageAccountName: names.storage
    functionAppName: names.app
    functionName: resourceEventsFunctionName
    webhookPath: resourceEventsPath
    watchResourceGroup: watchResourceGroup
    deadLetterContainerName: deadLetterContainerName
    ignoredContainers: [deploymentContainerName, deadLetterContainerName]
    driftTopicName: names.driftTopic
    tags: tags
  }
  dependsOn: [functionApp, storage, driftTopic]
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
