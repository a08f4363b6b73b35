CREATE TABLE "slack_messages" (
	"kind" text NOT NULL,
	"subject_id" text NOT NULL,
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "slack_messages_kind_subject_id_pk" PRIMARY KEY("kind","subject_id")
);
