// Key Vault for the bundle-signing key and the ledger checkpoint key. RBAC mode (no access policies) and purge
// protection: a sealed bundle must stay verifiable for years, so neither a deleted key nor the vault itself may be
// purged before its retention ends. The app only ever calls sign and get-key on the signing key (the private key
// never leaves the vault) and reads the checkpoint key's secret through a Key Vault reference.

@description('Azure region.')
param location string

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Key Vault SKU. premium lets you switch the key to EC-HSM.')
@allowed(['standard', 'premium'])
param skuName string

@description('Name of the EC P-256 key that signs sealed bundles.')
param signingKeyName string

@description('ISO 8601 duration after creation at which Key Vault rotates the signing key.')
param rotateAfter string

@description('ISO 8601 duration a signing key version may sign (expiry). Offline verification of bundles does not depend on it.')
param keyLifetime string

@description('Days a deleted vault or key stays recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int

@description('Name of the secret that holds the ledger checkpoint key.')
param checkpointSecretName string

@secure()
@description('PKCS#8 or SEC1 PEM of the ECDSA P-256 ledger checkpoint key. Empty: leave the stored secret as it is.')
param checkpointKeyPem string

@description('Tags for every resource.')
param tags object

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: skuName }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

// Rotation creates a new key version; the app archives every version's public key in its keyring (and the ledger),
// so bundles signed by an older version still verify offline. ARM creates the key only if it does not exist: a
// redeployment neither adds a version nor changes an existing key (a changed rotation policy must be applied with
// `az keyvault key rotation-policy update`).
resource signingKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' = {
  parent: vault
  name: signingKeyName
  tags: tags
  properties: {
    kty: 'EC'
    curveName: 'P-256'
    keyOps: ['sign', 'verify']
    attributes: { enabled: true }
    rotationPolicy: {
      attributes: { expiryTime: keyLifetime }
      lifetimeActions: [
        {
          trigger: { timeAfterCreate: rotateAfter }
          action: { type: 'rotate' }
        }
        {
          trigger: { timeBeforeExpiry: 'P30D' }
          action: { type: 'notify' }
        }
      ]
    }
  }
}

// The checkpoint signer is an in-process ECDSA key (Ledger:CheckpointKeyPem): Bicep cannot generate a PEM, so the
// deployer supplies it once; later deployments pass nothing and the stored secret stays.
resource checkpointSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(checkpointKeyPem)) {
  parent: vault
  name: checkpointSecretName
  tags: tags
  properties: {
    value: checkpointKeyPem
    contentType: 'application/x-pem-file'
    attributes: { enabled: true }
  }
}

output vaultName string = vault.name
output vaultUri string = vault.properties.vaultUri
output signingKeyName string = signingKey.name
