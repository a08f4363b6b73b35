CREATE TABLE "dataset_lineage" (
	"version_id" uuid NOT NULL,
	"split" text NOT NULL,
	"position" integer NOT NULL,
	"conversation_id" bigint,
	"message_ids" bigint[] DEFAULT '{}' NOT NULL,
	"example_hash" text NOT NULL,
	CONSTRAINT "dataset_lineage_version_id_split_position_pk" PRIMARY KEY("version_id","split","position")
);
--> statement-breakpoint
CREATE TABLE "dataset_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"dataset_id" uuid NOT NULL,
	"version" integer NOT NULL,
	"origin" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"content_hash" text,
	"manifest" jsonb,
	"progress" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"built_at" timestamp with time zone,
	"parent_version_id" uuid,
	"superseded_by" uuid,
	"erased_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "datasets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"task" text NOT NULL,
	"config" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "datasets_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "dataset_lineage" ADD CONSTRAINT "dataset_lineage_version_id_dataset_versions_id_fk" FOREIGN KEY ("version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_dataset_id_datasets_id_fk" FOREIGN KEY ("dataset_id") REFERENCES "public"."datasets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_parent_version_id_dataset_versions_id_fk" FOREIGN KEY ("parent_version_id") REFERENCES "public"."dataset_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "dataset_versions" ADD CONSTRAINT "dataset_versions_superseded_by_dataset_versions_id_fk" FOREIGN KEY ("superseded_by") REFERENCES "public"."dataset_versions"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "dataset_lineage_conversation_idx" ON "dataset_lineage" USING btree ("conversation_id");--> statement-breakpoint
CREATE INDEX "dataset_lineage_messages_idx" ON "dataset_lineage" USING gin ("message_ids");--> statement-breakpoint
CREATE UNIQUE INDEX "dataset_versions_number_idx" ON "dataset_versions" USING btree ("dataset_id","version");