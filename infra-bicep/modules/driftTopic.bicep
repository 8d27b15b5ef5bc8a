// The custom Event Grid topic drift events are published to (CloudEvents 1.0): every drift and every classification.
// The app publishes with its managed identity (EventGrid Data Sender, roleAssignments.bicep); local auth is off.
// The subscription that delivers them back to the app's webhook is in eventGrid.bicep (second pass: it needs the
// function's key and a deployed endpoint that answers the CloudEvents handshake).

@description('Azure region of the topic.')
param location string

@description('Name of the topic.')
param topicName string

@description('Tags for every resource.')
param tags object

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: topicName
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output topicName string = topic.name
output endpoint string = topic.properties.endpoint
