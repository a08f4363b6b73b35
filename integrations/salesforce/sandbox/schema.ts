/**
 * The standard objects and fields the sandbox serves: what SOQL may select and filter, what the
 * REST API lets us create and update. Names and types follow Salesforce's Object Reference:
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_case.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_emailmessage.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_casecomment.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentdocumentlink.htm
 * https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_contentversion.htm
 */

export type FieldType = 'id' | 'reference' | 'string' | 'picklist' | 'email' | 'textarea' | 'boolean' | 'datetime' | 'date' | 'int';

export interface FieldDef {
  name: string;
  type: FieldType;
  /** Long text areas can be selected but not filtered or sorted on, as in Salesforce. */
  filterable: boolean;
  createable: boolean;
  updateable: boolean;
  referenceTo?: readonly string[];
  relationshipName?: string;
  /** The parent's name for its children through this field (Case.EmailMessages). */
  childRelationshipName?: string;
}

export interface ObjectDef {
  name: string;
  fields: Map<string, FieldDef>; // keyed by lower-case name: SOQL names are case-insensitive
  relationships: Map<string, FieldDef>; // lower-case relationship name -> its reference field
  /** lower-case child relationship name -> the child object and its reference field to this one */
  children: Map<string, { name: string; object: string; field: string }>;
}

type Flags = 'c' | 'u' | 'cu' | '';

function field(name: string, type: FieldType, flags: Flags = '', reference?: { to: readonly string[]; rel: string; children?: string }): FieldDef {
  return {
    name,
    type,
    filterable: type !== 'textarea',
    createable: flags.includes('c'),
    updateable: flags.includes('u'),
    ...(reference ? { referenceTo: reference.to, relationshipName: reference.rel, ...(reference.children ? { childRelationshipName: reference.children } : {}) } : {}),
  };
}

const audit = (): FieldDef[] => [
  field('CreatedDate', 'datetime'),
  field('CreatedById', 'reference', '', { to: ['User'], rel: 'CreatedBy' }),
  field('LastModifiedDate', 'datetime'),
  field('LastModifiedById', 'reference', '', { to: ['User'], rel: 'LastModifiedBy' }),
  field('SystemModstamp', 'datetime'),
];

const DEFINITIONS: Record<string, FieldDef[]> = {
  Case: [
    field('Id', 'id'),
    field('IsDeleted', 'boolean'),
    field('CaseNumber', 'string'),
    field('ContactId', 'reference', 'cu', { to: ['Contact'], rel: 'Contact' }),
    field('AccountId', 'reference', 'cu', { to: ['Account'], rel: 'Account' }),
    field('SuppliedName', 'string', 'cu'),
    field('SuppliedEmail', 'email', 'cu'),
    field('Type', 'picklist', 'cu'),
    field('Status', 'picklist', 'cu'),
    field('Reason', 'picklist', 'cu'),
    field('Origin', 'picklist', 'cu'),
    field('Subject', 'string', 'cu'),
    field('Priority', 'picklist', 'cu'),
    field('Description', 'textarea', 'cu'),
    field('IsClosed', 'boolean'),
    field('ClosedDate', 'datetime'),
    field('OwnerId', 'reference', 'cu', { to: ['User'], rel: 'Owner' }),
    ...audit(),
  ],
  CaseComment: [
    field('Id', 'id'),
    field('ParentId', 'reference', 'c', { to: ['Case'], rel: 'Parent', children: 'CaseComments' }),
    field('IsPublished', 'boolean', 'cu'),
    field('CommentBody', 'textarea', 'cu'),
    field('IsDeleted', 'boolean'),
    ...audit(),
  ],
  EmailMessage: [
    field('Id', 'id'),
    field('ParentId', 'reference', 'c', { to: ['Case'], rel: 'Parent', children: 'EmailMessages' }),
    field('TextBody', 'textarea', 'cu'),
    field('HtmlBody', 'textarea', 'cu'),
    field('Subject', 'string', 'cu'),
    field('FromName', 'string', 'cu'),
    field('FromAddress', 'email', 'cu'),
    field('ToAddress', 'string', 'cu'),
    field('CcAddress', 'string', 'cu'),
    field('Incoming', 'boolean', 'c'),
    field('HasAttachment', 'boolean'),
    field('Status', 'picklist', 'cu'),
    field('MessageDate', 'datetime', 'cu'),
    field('IsDeleted', 'boolean'),
    ...audit(),
  ],
  // Salesforce Files: a document, its versions (the bytes: VersionData, read at
  // /sobjects/ContentVersion/{id}/VersionData), and links sharing it with records, such as the
  // EmailMessage it was sent or received with.
  ContentDocument: [
    field('Id', 'id'),
    field('IsDeleted', 'boolean'),
    field('Title', 'string'),
    field('FileExtension', 'string'),
    field('FileType', 'string'),
    field('ContentSize', 'int'),
    field('LatestPublishedVersionId', 'reference', '', { to: ['ContentVersion'], rel: 'LatestPublishedVersion' }),
    field('OwnerId', 'reference', '', { to: ['User'], rel: 'Owner' }),
    ...audit(),
  ],
  ContentVersion: [
    field('Id', 'id'),
    field('IsDeleted', 'boolean'),
    field('ContentDocumentId', 'reference', '', { to: ['ContentDocument'], rel: 'ContentDocument' }),
    field('Title', 'string'),
    field('PathOnClient', 'string'),
    field('FileExtension', 'string'),
    field('FileType', 'string'),
    field('ContentSize', 'int'),
    field('IsLatest', 'boolean'),
    field('FirstPublishLocationId', 'reference', '', { to: ['Case', 'EmailMessage'], rel: 'FirstPublishLocation' }),
    ...audit(),
  ],
  ContentDocumentLink: [
    field('Id', 'id'),
    field('IsDeleted', 'boolean'),
    field('ContentDocumentId', 'reference', '', { to: ['ContentDocument'], rel: 'ContentDocument' }),
    field('LinkedEntityId', 'reference', '', { to: ['EmailMessage', 'Case'], rel: 'LinkedEntity', children: 'ContentDocumentLinks' }),
    field('ShareType', 'picklist'),
    field('Visibility', 'picklist'),
    field('SystemModstamp', 'datetime'),
  ],
  Contact: [
    field('Id', 'id'),
    field('IsDeleted', 'boolean'),
    field('AccountId', 'reference', 'cu', { to: ['Account'], rel: 'Account' }),
    field('FirstName', 'string', 'cu'),
    field('LastName', 'string', 'cu'),
    field('Name', 'string'),
    field('Email', 'email', 'cu'),
    field('Phone', 'string', 'cu'),
    field('OwnerId', 'reference', 'cu', { to: ['User'], rel: 'Owner' }),
    ...audit(),
  ],
  User: [
    field('Id', 'id'),
    field('Username', 'string'),
    field('FirstName', 'string'),
    field('LastName', 'string'),
    field('Name', 'string'),
    field('Email', 'email'),
    field('Alias', 'string'),
    field('IsActive', 'boolean'),
    field('UserType', 'picklist'),
    ...audit(),
  ],
  Account: [
    field('Id', 'id'),
    field('IsDeleted', 'boolean'),
    field('Name', 'string', 'cu'),
    field('OwnerId', 'reference', 'cu', { to: ['User'], rel: 'Owner' }),
    ...audit(),
  ],
  Task: [
    field('Id', 'id'),
    field('WhatId', 'reference', 'cu', { to: ['Case', 'Account'], rel: 'What' }),
    field('WhoId', 'reference', 'cu', { to: ['Contact'], rel: 'Who' }),
    field('Subject', 'string', 'cu'),
    field('ActivityDate', 'date', 'cu'),
    field('Status', 'picklist', 'cu'),
    field('Priority', 'picklist', 'cu'),
    field('OwnerId', 'reference', 'cu', { to: ['User'], rel: 'Owner' }),
    field('Description', 'textarea', 'cu'),
    field('IsClosed', 'boolean'),
    field('IsDeleted', 'boolean'),
    ...audit(),
  ],
};

export const OBJECTS: ReadonlyMap<string, ObjectDef> = new Map(
  Object.entries(DEFINITIONS).map(([name, fields]) => {
    const byName = new Map(fields.map((f) => [f.name.toLowerCase(), f]));
    const relationships = new Map(fields.filter((f) => f.relationshipName).map((f) => [f.relationshipName!.toLowerCase(), f]));
    const children = new Map<string, { name: string; object: string; field: string }>();
    for (const [child, childFields] of Object.entries(DEFINITIONS)) {
      for (const f of childFields) if (f.childRelationshipName && f.referenceTo?.includes(name)) children.set(f.childRelationshipName.toLowerCase(), { name: f.childRelationshipName, object: child, field: f.name });
    }
    return [name.toLowerCase(), { name, fields: byName, relationships, children }];
  }),
);

export function objectDef(name: string): ObjectDef | undefined {
  return OBJECTS.get(name.toLowerCase());
}

/** Salesforce's own datetime format in JSON responses: always milliseconds and "+0000". */
export function formatDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
