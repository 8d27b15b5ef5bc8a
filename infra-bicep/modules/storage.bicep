// The app's one storage account: Functions host state, the evidence vault, the rollback vault, sealed bundles and
// the Flex Consumption deployment package. No shared keys: everything, the Functions host included, authenticates
// with Entra ID (AzureWebJobsStorage__accountName + managed identity).
//
// Queues and tables (work queue, chain state, ledger, keyring, ...) are not declared here: the app creates the
// ones it uses at start-up, so adding one never needs an infrastructure change.

@description('Azure region.')
param location string

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param accountName string

@description('Storage redundancy.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS', 'Standard_RAGRS', 'Standard_RAGZRS'])
param skuName string

@description('Days every evidence blob version stays immutable (WORM) after it is written.')
@minValue(1)
@maxValue(146000)
param evidenceRetentionDays int

@description('Days a pre-change snapshot in the rollback vault is kept before lifecycle management deletes it.')
@minValue(1)
param rollbackRetentionDays int

@description('Days deleted blobs and containers stay recoverable (soft delete).')
@minValue(1)
@maxValue(365)
param softDeleteRetentionDays int

@description('Container that holds the Flex Consumption deployment package.')
param deploymentContainerName string

@description('Container that receives Event Grid events that could not be delivered.')
param deadLetterContainerName string

@description('Tags for every resource.')
param tags object

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: accountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
    encryption: {
      keySource: 'Microsoft.Storage'
      requireInfrastructureEncryption: true
      services: {
        blob: { enabled: true, keyType: 'Account' }
        file: { enabled: true, keyType: 'Account' }
        queue: { enabled: true, keyType: 'Account' }
        table: { enabled: true, keyType: 'Account' }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    // Versioning is required for version-level immutability on the evidence container.
    isVersioningEnabled: true
    // The change feed is an independent, ordered record of every blob change: useful to an auditor beside the ledger.
    changeFeed: { enabled: true }
    deleteRetentionPolicy: { enabled: true, days: softDeleteRetentionDays }
    containerDeleteRetentionPolicy: { enabled: true, days: softDeleteRetentionDays }
  }
}

// Content-addressed evidence, written once. Version-level immutability protects every version, so even an
// identity holding Storage Blob Data Owner cannot overwrite or delete one inside the retention period.
resource evidence 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: 'evidence'
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: { enabled: true }
  }
}

// The container's default time-based policy: applies to every new blob version in 'evidence'. It is deployed
// unlocked; locking it is a one-way operation (below) that a template cannot perform.
resource evidenceRetention 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2024-01-01' = {
  parent: evidence
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: evidenceRetentionDays
    allowProtectedAppendWrites: false
  }
}

// Pre-change snapshots that a rollback restores from; lifecycle management expires them (rule below) and the app
// checks expiry itself as well.
resource rollbackVault 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: 'rollback-vault'
  properties: { publicAccess: 'None' }
}

resource bundles 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: 'bundles'
  properties: { publicAccess: 'None' }
}

resource deployment 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource deadLetter 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: { publicAccess: 'None' }
}

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2024-01-01' = {
  parent: account
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'rollback-vault-expiry'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: ['blockBlob']
              prefixMatch: ['${rollbackVault.name}/']
            }
            actions: {
              baseBlob: { delete: { daysAfterCreationGreaterThan: rollbackRetentionDays } }
              snapshot: { delete: { daysAfterCreationGreaterThan: rollbackRetentionDays } }
              version: { delete: { daysAfterCreationGreaterThan: rollbackRetentionDays } }
            }
          }
        }
      ]
    }
  }
}

output accountName string = account.name
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deployment.name}'
output evidenceRetentionState string = evidenceRetention.properties.state
