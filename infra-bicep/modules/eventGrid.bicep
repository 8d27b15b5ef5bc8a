// Event Grid delivery to the ResourceEvents function:
// - blob events from the app's storage account (system topic on the account);
// - Azure Resource Manager write/delete events for the resource group (system topic on the group): a change to the
//   storage account's own settings (say allowBlobPublicAccess flipped) is a Microsoft.Resources event, not a
//   Microsoft.Storage one, and drift reconciliation needs exactly those.
//
// The isolated worker has no Event Grid trigger here, so ResourceEvents is an HTTP function (authLevel Function)
// that answers both validation handshakes, and the subscriptions deliver to it as a WebHook:
//   https://<app>.azurewebsites.net/api/events/resources?code=<ResourceEvents' function key>
// The key is read with listKeys on the function at deployment time, and Event Grid validates the endpoint when the
// subscription is created: both need the code deployed first. So this module is deployed only on the second pass
// (main.bicep, deployEventSubscriptions=true).

@description('Azure region of the storage account.')
param location string

@description('Storage account whose blob events are delivered.')
param storageAccountName string

@description('Function app that hosts the ResourceEvents function.')
param functionAppName string

@description('Name of the HTTP function that receives the events (its function key authorises delivery).')
param functionName string

@description('Path of that function on the app, with the /api prefix.')
param webhookPath string

@description('Also subscribe to resource write/delete events of this resource group (one system topic per group).')
param watchResourceGroup bool

@description('Container where undeliverable events are dead-lettered.')
param deadLetterContainerName string

@description('Containers whose blob events are not delivered (app package, dead letters).')
param ignoredContainers string[]

@description('Custom topic of drift events, delivered back to the same function (CloudEvents schema).')
param driftTopicName string

@description('Tags for every resource.')
param tags object

var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: storage
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource receiver 'Microsoft.Web/sites/functions@2024-04-01' existing = {
  parent: functionApp
  name: functionName
}

// The function's own key rather than the host's default key: it opens this one endpoint and nothing else.
// ARM never returns endpointUrl, so the key is not readable from the subscription afterwards.
var destination = {
  endpointType: 'WebHook'
  properties: {
    endpointUrl: 'https://${functionApp.properties.defaultHostName}${webhookPath}?code=${receiver.listKeys().default}'
    maxEventsPerBatch: 10
    preferredBatchSizeInKilobytes: 64
  }
}

var retryPolicy = {
  maxDeliveryAttempts: 30
  eventTimeToLiveInMinutes: 1440
}

// Dead letters are written with the topic's own identity: the account accepts no shared keys.
var deadLetter = {
  identity: { type: 'SystemAssigned' }
  deadLetterDestination: {
    endpointType: 'StorageBlob'
    properties: {
      resourceId: storage.id
      blobContainerName: deadLetterContainer.name
    }
  }
}

resource storageTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${storage.name}-events'
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource storageTopicDeadLetterAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, storageTopic.id, storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    principalId: storageTopic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    description: 'Event Grid writes events it could not deliver to the dead-letter container (the account takes no keys).'
  }
}

resource blobEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: storageTopic
  name: 'blob-events-to-${toLower(functionName)}'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: destination
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
        'Microsoft.Storage.BlobDeleted'
        'Microsoft.Storage.BlobTierChanged'
      ]
      advancedFilters: [
        {
          operatorType: 'StringNotBeginsWith'
          key: 'subject'
          values: [for container in ignoredContainers: '/blobServices/default/containers/${container}/']
        }
      ]
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
  dependsOn: [storageTopicDeadLetterAccess]
}

resource groupTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (watchResourceGroup) {
  name: 'arm-events-${uniqueString(resourceGroup().id)}'
  location: 'global'
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: resourceGroup().id
    topicType: 'Microsoft.Resources.ResourceGroups'
  }
}

resource groupTopicDeadLetterAccess 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (watchResourceGroup) {
  name: guid(deadLetterContainer.id, resourceGroup().id, 'arm-events', storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    principalId: groupTopic!.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    description: 'Event Grid writes events it could not deliver to the dead-letter container (the account takes no keys).'
  }
}

resource resourceEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (watchResourceGroup) {
  parent: groupTopic
  name: 'arm-events-to-${toLower(functionName)}'
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: destination
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceDeleteSuccess'
      ]
    }
    retryPolicy: retryPolicy
    deadLetterWithResourceIdentity: deadLetter
  }
  dependsOn: [groupTopicDeadLetterAccess]
}

resource driftTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: driftTopicName
}

// Drift and classification events come back to ResourceEvents, as the standalone host delivers them to itself.
// CloudEvents schema: Event Grid validates the endpoint with the OPTIONS abuse-protection handshake.
resource driftEvents 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: driftTopic
  name: 'drift-events-to-${toLower(functionName)}'
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: destination
    filter: {
      includedEventTypes: [
        'Panaptico.Drift.Drifted'
        'Panaptico.Drift.Classified'
      ]
    }
    retryPolicy: retryPolicy
  }
}

output storageTopicName string = storageTopic.name
