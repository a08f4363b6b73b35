CREATE TABLE "connections" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"vendor" text NOT NULL,
	"name" text NOT NULL,
	"settings" jsonb NOT NULL,
	"credentials_encrypted" text NOT NULL,
	"schedule" text,
	"cursor" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"connection_id" uuid NOT NULL,
	"source" text NOT NULL,
	"source_id" text NOT NULL,
	"subject" text,
	"status" text,
	"priority" text,
	"channel" text,
	"language" text,
	"tags" text[] DEFAULT '{}' NOT NULL,
	"custom_fields" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"requester" jsonb,
	"assignee" jsonb,
	"organization_id" text,
	"deleted" boolean DEFAULT false NOT NULL,
	"source_created_at" timestamp with time zone NOT NULL,
	"source_updated_at" timestamp with time zone NOT NULL,
	"content_hash" text NOT NULL,
	"message_count" integer DEFAULT 0 NOT NULL,
	"harvested_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"conversation_id" bigint NOT NULL,
	"source_id" text NOT NULL,
	"position" integer NOT NULL,
	"author_role" text NOT NULL,
	"author" jsonb,
	"visibility" text NOT NULL,
	"body" text NOT NULL,
	"attachments" text[] DEFAULT '{}' NOT NULL,
	"source_created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "harvest_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connection_id" uuid NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"batches" integer DEFAULT 0 NOT NULL,
	"conversations_seen" integer DEFAULT 0 NOT NULL,
	"conversations_created" integer DEFAULT 0 NOT NULL,
	"conversations_updated" integer DEFAULT 0 NOT NULL,
	"messages_written" integer DEFAULT 0 NOT NULL,
	"cursor_start" jsonb,
	"cursor_end" jsonb,
	"error" text,
	"cancel_requested_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "conversations" ADD CONSTRAINT "conversations_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_conversation_id_conversations_id_fk" FOREIGN KEY ("conversation_id") REFERENCES "public"."conversations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "harvest_runs" ADD CONSTRAINT "harvest_runs_connection_id_connections_id_fk" FOREIGN KEY ("connection_id") REFERENCES "public"."connections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "connections_name_idx" ON "connections" USING btree ("name");--> statement-breakpoint
CREATE UNIQUE INDEX "conversations_source_idx" ON "conversations" USING btree ("connection_id","source_id");--> statement-breakpoint
CREATE INDEX "conversations_updated_idx" ON "conversations" USING btree ("source_updated_at");--> statement-breakpoint
CREATE UNIQUE INDEX "messages_source_idx" ON "messages" USING btree ("conversation_id","source_id");--> statement-breakpoint
CREATE INDEX "harvest_runs_connection_idx" ON "harvest_runs" USING btree ("connection_id","created_at");