// What the function app's managed identity may do, and nothing more. Data-plane roles only: the app never manages
// the account, the vault or the key. Each assignment says why in its description; tests/Panaptico.Infra.Tests
// holds the same list and fails on any assignment it does not know.

@description('Function app whose system-assigned identity receives the roles.')
param functionAppName string

@description('Storage account the app, the Functions host and the Durable task hub use.')
param storageAccountName string

@description('Key Vault holding the signing key and the ledger checkpoint key secret.')
param vaultName string

@description('Name of the bundle-signing key.')
param signingKeyName string

@description('Application Insights component the app sends telemetry to.')
param appInsightsName string

@description('Custom Event Grid topic the app publishes drift events to.')
param driftTopicName string

// Built-in role definition ids (the same in every cloud and tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  keyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

// Assignment names derive from the app's resource id, known before deployment; the principal id is not.
var principalId = functionApp.identity.principalId

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: vaultName
}

resource signingKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' existing = {
  parent: vault
  name: signingKeyName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource driftTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: driftTopicName
}

// Owner, not Contributor: it is the role the Functions host documents for an identity-based AzureWebJobsStorage
// (blob leases for timers and the Durable task hub's partitions), and Set Container ACL (the public-access fix)
// is an Owner-only action. It grants no way around the evidence container's immutability: a protected version
// cannot be changed by anyone.
resource storageBlobs 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    description: 'Functions host keys, timer and singleton leases; Durable task hub leases and large messages; the Flex deployment package; evidence, rollback-vault and bundle blobs; container ACL fixes.'
  }
}

resource storageQueues 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageQueueDataContributor
    )
    description: 'Durable task hub control and work-item queues; the app\'s queue triggers and their poison queues.'
  }
}

resource storageTables 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.storageTableDataContributor
    )
    description: 'Durable task hub history and instances tables; the ledger, keyring, tasks, changes and outbox tables.'
  }
}

// Scoped to the one key, not the vault: sign, and get-key to archive each version's public key in the keyring.
resource signingKeyAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(signingKey.id, functionApp.id, roles.keyVaultCryptoUser)
  scope: signingKey
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultCryptoUser)
    description: 'Sign sealed bundles and read each key version\'s public key for the keyring.'
  }
}

// On the vault because the secret may not exist yet (the deployer supplies it, see main.bicep), and a role cannot be
// assigned on a secret that does not exist. The vault holds no other secret; give a new one its own vault.
resource checkpointSecretAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionApp.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    description: 'Resolve the Ledger__CheckpointKeyPem Key Vault reference.'
  }
}

resource telemetryAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionApp.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId(
      'Microsoft.Authorization/roleDefinitions',
      roles.monitoringMetricsPublisher
    )
    description: 'Send telemetry with Entra ID (APPLICATIONINSIGHTS_AUTHENTICATION_STRING); the component accepts no key.'
  }
}

// Scoped to the one topic: publish drift and classification CloudEvents (the topic takes no keys).
resource driftTopicAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(driftTopic.id, functionApp.id, roles.eventGridDataSender)
  scope: driftTopic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
    description: 'Publish drift and classification CloudEvents to the drift topic (local auth is off).'
  }
}
